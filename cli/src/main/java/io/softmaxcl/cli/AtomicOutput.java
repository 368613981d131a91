package io.softmaxcl.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An output file written to a temporary file beside it and renamed over it only on {@link #commit()}, so that a
 * failure at any point (bad input found late, disk full) leaves no partial file and any existing file intact.
 */
final class AtomicOutput implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final boolean overwrite;
    private boolean committed;

    private AtomicOutput(Path target, Path temp, FileChannel channel, boolean overwrite) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.overwrite = overwrite;
    }

    /**
     * Checks that {@code target} can be written (its directory exists; it does not exist unless {@code overwrite})
     * and opens the temporary file.
     */
    static AtomicOutput open(Path target, boolean overwrite) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        checkWritable(abs, overwrite);
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        for (int attempt = 0; ; attempt++) {
            // A hidden name in the same directory so that the final rename stays on one file system.
            Path temp = dir.resolve("." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return new AtomicOutput(abs, temp, ch, overwrite);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            }
        }
    }

    /** The checks {@link #open} makes, without creating anything. */
    static void checkWritable(Path target, boolean overwrite) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) {
            throw new UserInputException(target + ": not a file path");
        }
        if (!Files.exists(dir)) {
            throw new UserInputException(target + ": the directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new UserInputException(target + ": " + dir + " is not a directory");
        }
        if (Files.isDirectory(abs)) {
            throw new UserInputException(target + ": is a directory");
        }
        if (!overwrite && Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString());
        }
    }

    FileChannel channel() {
        return channel;
    }

    /** Forces the data to disk and closes the temporary file; where a full disk shows up at the latest. */
    void flush() throws IOException {
        if (channel.isOpen()) {
            channel.force(true);
            channel.close();
        }
    }

    /** {@link #flush() Flushes}, then renames the temporary file over the target. */
    void commit() throws IOException {
        flush();
        if (!overwrite) {
            // A hard link fails if the target appeared meanwhile: a rename would silently replace it.
            try {
                Files.createLink(target, temp);
                committed = true;
                Files.deleteIfExists(temp);
                return;
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (IOException | UnsupportedOperationException e) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FileAlreadyExistsException(target.toString());
                }
            }
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        committed = true;
    }

    /** Removes the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() throws IOException {
        if (committed) {
            return;
        }
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
