package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BenchShapeTest {

    @Test
    void parsesRowsByColumns() {
        assertEquals(new BenchShape(64, 151936), BenchShape.parse("64x151936"));
        assertEquals(new BenchShape(2, 3), BenchShape.parse(" 2X3 "));
        assertEquals(new BenchShape(2, 3), BenchShape.parse("2×3"));
    }

    @Test
    void standardExpandsToTheEightStandardShapesInOrder() {
        List<BenchShape> shapes = BenchShape.parseList(List.of("standard", "2x8"));
        assertEquals(9, shapes.size());
        assertEquals("1x32000", shapes.get(0).toString());
        assertEquals("512x50257", shapes.get(7).toString());
        assertEquals("2x8", shapes.get(8).toString());
    }

    @Test
    void rejectsMalformedEmptyAndOversizedShapes() {
        for (String bad : new String[] {"x8", "8x", "8", "axb", "0x5", "5x0", "-1x5", "65536x65536"}) {
            assertThrows(IllegalArgumentException.class, () -> BenchShape.parse(bad), bad);
        }
    }
}
