package io.softmaxcl.peers;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Command-line options of the peers benchmark. */
final class Options {
    int threads = 2;
    boolean quick;
    int rounds = 5;
    long budgetMs = 150;
    long warmMinMs = 300;
    long warmMaxMs = 5000;
    List<String> shapes = PeersMain.STANDARD;
    Path json;
    Path chart;

    static Options parse(String[] args) {
        Options o = new Options();
        boolean shapesGiven = false;
        boolean roundsGiven = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--threads" -> o.threads = positive(a, value(args, ++i));
                case "--rounds" -> {
                    o.rounds = positive(a, value(args, ++i));
                    roundsGiven = true;
                }
                case "--shapes" -> {
                    o.shapes = Arrays.asList(value(args, ++i).split(","));
                    shapesGiven = true;
                }
                case "--json" -> o.json = Path.of(value(args, ++i));
                case "--chart" -> o.chart = Path.of(value(args, ++i));
                case "--quick" -> o.quick = true;
                case "-h", "--help" -> {
                    System.out.println("usage: peers [--threads N] [--quick] [--rounds N] [--shapes RxC,...]"
                            + " [--json FILE] [--chart FILE.png]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (see --help)");
            }
        }
        for (String s : o.shapes) {
            if (!s.matches("\\d+[xX]\\d+")) {
                throw new IllegalArgumentException("--shapes: " + s + " is not RxC");
            }
        }
        if (o.quick) {
            o.shapes = shapesGiven ? o.shapes : PeersMain.QUICK;
            o.rounds = roundsGiven ? o.rounds : 2;
            o.budgetMs = 50;
            o.warmMinMs = 100;
            o.warmMaxMs = 1000;
        }
        return o;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int positive(String name, String v) {
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + n);
        }
        return n;
    }
}
