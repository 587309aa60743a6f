package dev.kiln.passes.pipeline;

import java.util.Map;
import java.util.function.Consumer;

/**
 * What a running pass may ask of the pass manager: where its remarks go (e.g. why a fusion
 * pattern did not match a node, for {@code --explain-fusion}).
 */
public interface PassContext {
  /** Whether remarks are collected; a pass may skip building expensive messages when not. */
  boolean explain();

  /**
   * Records why {@code pattern} did or did not apply at {@code where} (a node, in the words of
   * {@code Node 'name'} messages elsewhere in Kiln).
   */
  void remark(String pattern, String where, String message);

  /**
   * The concrete shape of every input, by input name, when the pipeline compiles for shapes
   * ({@code bind-shapes} reads them); empty otherwise, and then {@code bind-shapes} takes the
   * declared shapes, which must be static.
   */
  default Map<String, long[]> inputShapes() {
    return Map.of();
  }

  /**
   * The values of the inputs that decide shapes (a Reshape's shape given as a graph input, see
   * {@code CompileTimeInputs}), bound as constants by {@code bind-shapes}; empty when none.
   */
  default Map<String, dev.kiln.ir.tensor.Tensor> inputValues() {
    return Map.of();
  }

  /**
   * f32 lanes of the target's preferred SIMD vector (the Vector API's preferred species length
   * where it runs; 1 without vectors): what {@code schedule{lanes=0}} vectorizes for.
   */
  default int floatLanes() {
    return 1;
  }

  /** A context that drops every remark. */
  static PassContext silent() {
    return new PassContext() {
      @Override
      public boolean explain() {
        return false;
      }

      @Override
      public void remark(String pattern, String where, String message) {}
    };
  }

  /** A context that hands every remark, formatted {@code pattern: where: message}, to {@code sink}. */
  static PassContext explaining(Consumer<String> sink) {
    return new PassContext() {
      @Override
      public boolean explain() {
        return true;
      }

      @Override
      public void remark(String pattern, String where, String message) {
        sink.accept(pattern + ": " + where + ": " + message);
      }
    };
  }
}
