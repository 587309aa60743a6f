package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Which input slots each standard operator reads at compile time, pinned: the compiled engine
 * specializes on the values of graph inputs that reach these slots, so a slot missing here is a
 * model that fails to compile, and a slot too many is a program compiled per data value.
 */
class CompileTimeSlotsTest {
  @Test
  void theShapeDecidingSlotsOfEveryStandardOperator() {
    Map<String, List<Integer>> slots = new TreeMap<>();
    for (OpSchema op : OpRegistry.standard().all()) {
      List<Integer> read = new ArrayList<>();
      for (int slot = 0; slot < Math.min(op.maxInputs(), 8); slot++) {
        if (op.readsAtCompileTime(slot)) {
          read.add(slot);
        }
      }
      if (!read.isEmpty()) {
        slots.put(op.name(), read);
      }
    }
    List<Integer> axes = List.of(1);
    Map<String, List<Integer>> expected = new TreeMap<>(Map.ofEntries(
        Map.entry("ConstantOfShape", List.of(0)),
        Map.entry("CumSum", List.of(1)),
        Map.entry("Dropout", List.of(1, 2)),
        Map.entry("Expand", List.of(1)),
        Map.entry("OneHot", List.of(1)),
        Map.entry("Pad", List.of(1, 3)),
        Map.entry("Range", List.of(0, 1, 2)),
        Map.entry("ReduceL1", axes),
        Map.entry("ReduceL2", axes),
        Map.entry("ReduceLogSum", axes),
        Map.entry("ReduceLogSumExp", axes),
        Map.entry("ReduceMax", axes),
        Map.entry("ReduceMean", axes),
        Map.entry("ReduceMin", axes),
        Map.entry("ReduceProd", axes),
        Map.entry("ReduceSum", axes),
        Map.entry("ReduceSumSquare", axes),
        Map.entry("Reshape", List.of(1)),
        Map.entry("Slice", List.of(1, 2, 3, 4)),
        Map.entry("Split", List.of(1)),
        Map.entry("Squeeze", axes),
        Map.entry("Tile", List.of(1)),
        Map.entry("TopK", List.of(1)),
        Map.entry("Unsqueeze", axes)));
    assertEquals(expected, slots);
  }

  @Test
  void onlyShapeSizeAndEyeLikeFoldFromTypesAlone() {
    assertEquals(List.of("EyeLike", "Shape", "Size"), OpRegistry.standard().all().stream()
        .filter(OpSchema::outputsDependOnInputTypesOnly).map(OpSchema::name).sorted().toList());
  }
}
