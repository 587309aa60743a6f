package dev.kiln.runtime.artifact;

import dev.kiln.runtime.compiled.CompiledProgram;
import dev.kiln.runtime.compiled.Frame;

/**
 * A hand-written stand-in for generated code, for format tests without javac: slot 0 input x,
 * 1 output y, 2 constant w, 3 scratch t (all f32[2, 3]); t = x * 2, y = t + w.
 */
public final class AddWeightsProgram implements CompiledProgram {
  @Override
  public void run(Frame frame) {
    float[] x = frame.floats(0);
    float[] y = frame.floats(1);
    float[] w = frame.floats(2);
    float[] t = frame.floats(3);
    int at = frame.offset(3);
    for (int i = 0; i < 6; i++) {
      t[at + i] = x[i] * 2;
    }
    for (int i = 0; i < 6; i++) {
      y[i] = t[at + i] + w[i];
    }
  }
}
