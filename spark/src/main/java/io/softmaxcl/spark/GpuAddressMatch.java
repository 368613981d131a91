package io.softmaxcl.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which OpenCL device a Spark GPU address names. Spark's addresses are what the discovery script printed: usually
 * an ordinal ({@code nvidia-smi}'s index, which counts GPUs in PCI bus order), sometimes a PCI bus id
 * ({@code 00000000:3B:00.0}) or a UUID ({@code GPU-5f2e…}). A pure function, so it is tested without a GPU.
 */
final class GpuAddressMatch {

    private static final Pattern PCI =
            Pattern.compile("(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\\.([0-7])");
    private static final Pattern UUID = Pattern.compile("(?:gpu-)?([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?"
            + "[0-9a-f]{4}-?[0-9a-f]{12})");

    private GpuAddressMatch() {
    }

    /**
     * The device for {@code address} among {@code devices} (enumeration order): a PCI bus id or UUID matches the
     * GPU that reports it; an ordinal N is the N-th GPU in PCI bus order when every GPU reports its PCI address
     * (one device per address: the same GPU under two platforms counts once), else the N-th GPU in enumeration
     * order. Empty when nothing matches.
     */
    static Optional<ClDeviceId> select(String address, List<ClDeviceId> devices) {
        String a = address == null ? "" : address.trim().toLowerCase(Locale.ROOT);
        List<ClDeviceId> gpus = devices.stream().filter(ClDeviceId::gpu).toList();
        Matcher pci = PCI.matcher(a);
        if (pci.matches()) {
            String want = pci(pci);
            return gpus.stream().filter(d -> want.equals(d.pci())).findFirst();
        }
        Matcher uuid = UUID.matcher(a);
        if (uuid.matches()) {
            String want = uuid.group(1).replace("-", "");
            return gpus.stream().filter(d -> want.equals(d.uuid())).findFirst();
        }
        if (!a.matches("\\d{1,9}")) {
            return Optional.empty();
        }
        int n = Integer.parseInt(a);
        List<ClDeviceId> order = new ArrayList<>();
        if (!gpus.isEmpty() && gpus.stream().allMatch(d -> d.pci() != null)) {
            for (ClDeviceId d : gpus) {
                if (order.stream().noneMatch(o -> o.pci().equals(d.pci()))) {
                    order.add(d);
                }
            }
            order.sort(Comparator.comparing(ClDeviceId::pci));   // fixed-width hex: text order is bus order
        } else {
            order.addAll(gpus);
        }
        return n < order.size() ? Optional.of(order.get(n)) : Optional.empty();
    }

    /** The canonical form {@code dddd:bb:dd.f} of a PCI address (a missing domain is 0). */
    static String pci(int domain, int bus, int device, int function) {
        return String.format(Locale.ROOT, "%04x:%02x:%02x.%x", domain, bus, device, function);
    }

    private static String pci(Matcher m) {
        // nvidia-smi prints an 8-digit domain; only its low 16 bits are the PCI domain.
        int domain = m.group(1) == null ? 0 : (int) (Long.parseLong(m.group(1), 16) & 0xffff);
        return pci(domain, Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3), 16),
                Integer.parseInt(m.group(4), 16));
    }
}
