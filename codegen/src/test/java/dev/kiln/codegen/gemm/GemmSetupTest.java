package dev.kiln.codegen.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cache detection, block sizes and the compile-time packing of constant weights. */
class GemmSetupTest {
  @Test
  void cacheSizesComeFromSysfsIgnoringInstructionCaches(@TempDir Path dir) throws Exception {
    level(dir, 0, 1, "Data", "32K");
    level(dir, 1, 1, "Instruction", "64K");
    level(dir, 2, 2, "Unified", "2048K");
    level(dir, 3, 3, "Unified", "16M");
    assertEquals(new CacheSizes(32 << 10, 2 << 20, 16 << 20, true), CacheSizes.read(dir));
  }

  @Test
  void missingOrPartialCacheInfoFallsBackToDefaults(@TempDir Path dir) throws Exception {
    assertEquals(CacheSizes.DEFAULTS, CacheSizes.read(dir.resolve("absent")));
    level(dir, 0, 1, "Data", "64K");
    Files.writeString(dir.resolve("index0").resolve("size"), "garbage");
    assertEquals(CacheSizes.DEFAULTS, CacheSizes.read(dir));
    assertEquals(3L << 30, CacheSizes.parseSize("3G"));
    assertEquals(512, CacheSizes.parseSize("512"));
  }

  @Test
  void blocksFollowTheCaches() {
    GemmParams p = GemmParams.of(16, new CacheSizes(48 << 10, 1 << 20, 32 << 20, true));
    // deepK: a 32-column B panel of 2048 floats deep fills a quarter of the 1 MiB L2.
    assertEquals("gemm(lanes=16 mr=8 nr=2x16 unroll=1 kc=256 mc=512 nc=16384 l1=49152 l2=1048576 deepK=2048)",
        p.toString());
    GemmParams small = GemmParams.of(8, new CacheSizes(32 << 10, 256 << 10, 4 << 20, true));
    assertEquals(1024, small.deepK());
    assertEquals(6, small.mr());
    assertEquals(16, small.nr());
    assertEquals(0, small.mc() % small.mr());
    assertEquals(0, small.nc() % small.nr());
    assertFalse(GemmParams.of(0, CacheSizes.DEFAULTS).enabled());
  }

  private static void level(Path dir, int index, int level, String type, String size) throws Exception {
    Path d = Files.createDirectories(dir.resolve("index" + index));
    Files.writeString(d.resolve("level"), level + "\n");
    Files.writeString(d.resolve("type"), type + "\n");
    Files.writeString(d.resolve("size"), size + "\n");
  }

  /** c = a x w (w: k x n constant), and optionally y = w (a copy that keeps w alive). */
  static LoopProgram program(int m, int n, int k, boolean alsoCopied) {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, m, k);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.CONSTANT, k, n);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, m, n);
    float[] values = new float[k * n];
    for (int i = 0; i < values.length; i++) {
      values[i] = i + 1;
    }
    Kernel mm = new Kernel("mm", ImmutableList.of(a, w, c), Stmt.Matmul.plain(MatrixOperand.rowMajor(a, k),
        MatrixOperand.rowMajor(w, n), MatrixOperand.rowMajor(c, n), m, n, k, new Local("acc", DType.F32)), "MatMul");
    ImmutableList.Builder<Kernel> kernels = ImmutableList.<Kernel>builder().add(mm);
    ImmutableList.Builder<Buffer> outputs = ImmutableList.<Buffer>builder().add(c);
    if (alsoCopied) {
      Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, k, n);
      Var i = new Var("i");
      Var j = new Var("j");
      kernels.add(new Kernel("copy", ImmutableList.of(w, y), new Stmt.For(i, k, dev.kiln.ir.loop.LoopKind.SERIAL,
          new Stmt.For(j, n, dev.kiln.ir.loop.LoopKind.SERIAL,
              new Stmt.Store(y, ImmutableList.of(i, j), Exprs.load(w, i, j)))), "Identity"));
      outputs.add(y);
    }
    return new LoopProgram("p", ImmutableList.of(a), outputs.build(),
        ImmutableMap.of(w, Tensor.ofFloats(new long[] {k, n}, values)), ImmutableList.of(), kernels.build());
  }

  @Test
  void constantWeightsArePackedIntoZeroPaddedPanels() {
    GemmParams p = new GemmParams(4, 2, 1, 1, 4, 4, 4);   // nr = 4
    PackedWeights.Result r = PackedWeights.pack(program(3, 6, 2, false), p);
    Buffer panels = r.packed().iterator().next();
    assertEquals("w.panels4", panels.name());
    assertEquals(List.of(2L, 2L, 4L), panels.shape());
    // w = [[1..6], [7..12]]: panel 0 = columns 0-3, panel 1 = columns 4-5 padded with zeros.
    assertEquals(List.of(1f, 2f, 3f, 4f, 7f, 8f, 9f, 10f, 5f, 6f, 0f, 0f, 11f, 12f, 0f, 0f),
        floats(r.program().constants().get(panels)));
    assertFalse(r.program().constants().keySet().stream().anyMatch(b -> b.name().equals("w")),
        "w, read only by the packed matmul, is dropped");
    assertTrue(r.program().kernels().get(0).toString().contains("%w.panels4[0; 4, 1]"),
        r.program().toString());
  }

  @Test
  void weightsReadElsewhereStayAndInputsAreNotPacked() {
    GemmParams p = new GemmParams(4, 2, 1, 1, 4, 4, 4);
    PackedWeights.Result kept = PackedWeights.pack(program(3, 6, 2, true), p);
    assertEquals(2, kept.program().constants().size());
    assertEquals(List.of("w"), kept.program().kernels().get(1).buffers().stream()
        .filter(b -> b.role() == BufferRole.CONSTANT).map(Buffer::name).toList());
    assertTrue(PackedWeights.pack(program(3, 6, 2, false), GemmParams.NONE).packed().isEmpty());
  }

  private static List<Float> floats(Tensor t) {
    float[] v = t.toFloatArray();
    java.util.List<Float> out = new java.util.ArrayList<>();
    for (float f : v) {
      out.add(f);
    }
    return out;
  }
}
