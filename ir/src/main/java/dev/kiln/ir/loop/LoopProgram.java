package dev.kiln.ir.loop;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.tensor.Tensor;

/**
 * A whole model at the loop level: its buffers and the kernels that run in order.
 *
 * @param inputs model inputs, in the graph's input order
 * @param outputs model outputs, in the graph's output order
 * @param constants constant buffers with their data (weights, possibly pre-packed)
 * @param scratch intermediates, to be placed in the planned arena
 */
public record LoopProgram(
    String name,
    ImmutableList<Buffer> inputs,
    ImmutableList<Buffer> outputs,
    ImmutableMap<Buffer, Tensor> constants,
    ImmutableList<Buffer> scratch,
    ImmutableList<Kernel> kernels) {

  public LoopProgram {
    inputs = ImmutableList.copyOf(inputs);
    outputs = ImmutableList.copyOf(outputs);
    constants = ImmutableMap.copyOf(constants);
    scratch = ImmutableList.copyOf(scratch);
    kernels = ImmutableList.copyOf(kernels);
  }

  public LoopProgram withKernels(ImmutableList<Kernel> newKernels) {
    return new LoopProgram(name, inputs, outputs, constants, scratch, newKernels);
  }

  @Override
  public String toString() {
    return LoopPrinter.print(this);
  }
}
