package dev.kiln.ir.op;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks one operator application against its schema and infers its output types, folding its
 * outputs to constants when they are small and computable at compile time (so that exported shape
 * arithmetic such as {@code Shape -> Gather -> Concat -> Reshape} resolves to static shapes).
 * Shared by the verifier, the Kiln-language frontend and the ONNX importer.
 */
public final class NodeInference {
  /** Outputs with more elements than this are not folded at inference time. */
  public static final long FOLD_LIMIT = 1 << 16;

  private NodeInference() {}

  /** Output types, and output values when they are known at compile time. */
  public record Result(ImmutableList<TensorType> types, Optional<ImmutableList<Tensor>> values) {}

  /**
   * Arity and attribute problems of an application, one message each, before any inference.
   *
   * @param inputPresent which input slots are present
   */
  public static List<String> checkApplication(
      OpSchema schema, List<Boolean> inputPresent, int outputCount, Attributes attrs) {
    List<String> problems = new ArrayList<>();
    int inputs = inputPresent.size();
    if (inputs < schema.minInputs() || inputs > schema.maxInputs()) {
      problems.add(schema.name() + " takes " + schema.describeInputArity() + ", got " + inputs);
    } else {
      for (int i = 0; i < schema.minInputs(); i++) {
        if (!inputPresent.get(i)) {
          problems.add("input " + i + " of " + schema.name() + " is required but absent");
        }
      }
    }
    if (outputCount < schema.minOutputs() || outputCount > schema.maxOutputs()) {
      problems.add(
          schema.name() + " defines " + schema.describeOutputArity() + ", got " + outputCount);
    }
    problems.addAll(schema.checkAttributes(attrs));
    return problems;
  }

  /**
   * Infers output types; throws {@link OpException} when the inputs or attributes do not fit.
   * Call {@link #checkApplication} first.
   */
  public static Result infer(
      OpSchema schema,
      Attributes attrs,
      List<Optional<TensorType>> inputTypes,
      List<Optional<Tensor>> constantInputs,
      int outputCount) {
    InferenceContext ctx =
        new InferenceContext(
            schema.name(),
            attrs,
            ImmutableList.copyOf(inputTypes),
            ImmutableList.copyOf(constantInputs),
            outputCount);
    List<TensorType> types = schema.inferTypes(ctx);
    if (types.size() != outputCount) {
      throw new IllegalStateException(
          schema.name() + " inferred " + types.size() + " outputs for " + outputCount);
    }
    Optional<ImmutableList<Tensor>> values = fold(schema, ctx, types);
    if (values.isPresent()) {
      // Folded values are exact: prefer their static shapes over symbolic inferred ones.
      types = values.get().stream().map(Tensor::type).toList();
    }
    return new Result(ImmutableList.copyOf(types), values);
  }

  private static Optional<ImmutableList<Tensor>> fold(
      OpSchema schema, InferenceContext ctx, List<TensorType> types) {
    for (TensorType t : types) {
      if (!t.shape().isStatic() || t.shape().elementCount() > FOLD_LIMIT) {
        return Optional.empty();
      }
    }
    boolean allConstant = true;
    for (int i = 0; i < ctx.inputCount(); i++) {
      if (ctx.hasInput(i) && ctx.constant(i).isEmpty()) {
        allConstant = false;
        break;
      }
    }
    if (!allConstant) {
      return schema.foldWithoutConstants(ctx).map(ImmutableList::copyOf);
    }
    List<Optional<Tensor>> inputs = new ArrayList<>();
    for (int i = 0; i < ctx.inputCount(); i++) {
      inputs.add(ctx.hasInput(i) ? ctx.constant(i) : Optional.empty());
    }
    List<Tensor> out =
        schema.evaluate(
            new EvalContext(schema.name(), ctx.attrs(), ImmutableList.copyOf(inputs), ctx.outputCount()));
    return Optional.of(ImmutableList.copyOf(out));
  }

  /**
   * Whether a declared type agrees with an inferred one: same dtype and rank, and every dim the
   * inference knows (a size or a name) is the same in the declaration. A declaration may refine
   * an unknown dim.
   */
  public static boolean compatible(TensorType declared, TensorType inferred) {
    if (declared.dtype() != inferred.dtype() || declared.rank() != inferred.rank()) {
      return false;
    }
    Shape d = declared.shape();
    Shape in = inferred.shape();
    for (int i = 0; i < d.rank(); i++) {
      Dim di = in.dim(i);
      if (!(di instanceof Dim.Unknown) && !di.equals(d.dim(i))) {
        return false;
      }
    }
    return true;
  }
}
