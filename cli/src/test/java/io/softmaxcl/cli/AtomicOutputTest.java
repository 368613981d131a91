package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Outputs appear whole or not at all: a failure part-way (a full disk) leaves no file and keeps an old one. */
class AtomicOutputTest {

    @TempDir
    Path dir;

    /** What a write that runs out of space looks like: some bytes land, then the channel throws. */
    private static void writeThenFailLikeAFullDisk(AtomicOutput o) throws IOException {
        o.channel().write(ByteBuffer.wrap(new byte[4096]));
        throw new IOException("No space left on device");
    }

    @Test
    void failureWhileWritingLeavesNoFileBehind() throws IOException {
        Path target = dir.resolve("y.npy");
        IOException e = assertThrows(IOException.class, () -> {
            try (AtomicOutput o = AtomicOutput.open(target, false)) {
                writeThenFailLikeAFullDisk(o);
            }
        });
        assertEquals("No space left on device", e.getMessage());
        assertArrayEquals(new String[0], Cli.list(dir), "neither the target nor the temporary file remains");
    }

    @Test
    void failureWhileOverwritingKeepsTheOldFile() throws IOException {
        Path target = Files.writeString(dir.resolve("y.npy"), "old contents");
        assertThrows(IOException.class, () -> {
            try (AtomicOutput o = AtomicOutput.open(target, true)) {
                writeThenFailLikeAFullDisk(o);
            }
        });
        assertEquals("old contents", Files.readString(target));
        assertArrayEquals(new String[] {"y.npy"}, Cli.list(dir));
    }

    @Test
    void nothingIsVisibleUntilCommit() throws IOException {
        Path target = dir.resolve("y.npy");
        try (AtomicOutput o = AtomicOutput.open(target, false)) {
            o.channel().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertFalse(Files.exists(target), "target appears only on commit");
            o.commit();
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
        assertArrayEquals(new String[] {"y.npy"}, Cli.list(dir), "the temporary file became the target");
    }

    @Test
    void aTargetCreatedMeanwhileIsNotReplacedWithoutOverwrite() throws IOException {
        Path target = dir.resolve("y.npy");
        try (AtomicOutput o = AtomicOutput.open(target, false)) {
            o.channel().write(ByteBuffer.wrap(new byte[] {1}));
            Files.writeString(target, "someone else's");
            assertThrows(FileAlreadyExistsException.class, o::commit);
        }
        assertEquals("someone else's", Files.readString(target));
        assertArrayEquals(new String[] {"y.npy"}, Cli.list(dir));
    }
}
