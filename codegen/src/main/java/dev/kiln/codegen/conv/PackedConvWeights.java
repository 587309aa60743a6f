package dev.kiln.codegen.conv;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.Map;
import java.util.Set;

/**
 * Constant weights of blocked convolutions packed at compile time into the layout the generated
 * kernel reads ({@link PackedConvLayout}), so runs never pack them and ahead-of-time artifacts
 * store them packed. Called by {@link dev.kiln.codegen.gemm.PackedWeights}, which rewrites the
 * program (for code generation only: the packed buffer has a meaning only the generator knows).
 */
public final class PackedConvWeights {
  private PackedConvWeights() {}

  /** Whether the generator will take {@code cv} with its constant weights packed. */
  public static boolean packable(Stmt.BlockedConv cv, Map<Buffer, Tensor> constants, int lanes) {
    Buffer w = cv.w();
    return w.role() == BufferRole.CONSTANT && constants.containsKey(w) && w.dtype() == DType.F32
        && w.rank() == 4 && new ConvGenerator(lanes, 1, 1, null).supports(ConvSpec.of(cv, true));
  }

  /** The packed weights as a new constant named after the original, added to {@code constants}. */
  public static Buffer pack(Stmt.BlockedConv cv, Tensor data, Map<Buffer, Tensor> constants, Set<String> names) {
    ConvGeometry g = cv.geometry();
    int b = cv.block();
    int bi = cv.inputBlock();
    float[] packed = PackedConvLayout.pack(data.toFloatArray(), 0, (int) g.outChannels(), (int) g.channels(),
        (int) g.kernelH(), (int) g.kernelW(), bi, b);
    String base = cv.w().name() + ".blocked" + b;
    String name = base;
    for (int i = 2; names.contains(name); i++) {
      name = base + "." + i;
    }
    names.add(name);
    long[] shape = {cv.y().dim(1), cv.x().dim(1), g.kernelH(), g.kernelW(), bi, b};
    Buffer out = Buffer.of(name, DType.F32, BufferRole.CONSTANT, shape);
    constants.put(out, Tensor.ofFloats(shape, packed));
    return out;
  }
}
