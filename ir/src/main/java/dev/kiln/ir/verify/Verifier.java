package dev.kiln.ir.verify;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks that a graph is well-formed: SSA (every value defined once, before its uses), known
 * operators with the right arity, attributes of the right names and kinds, and declared types
 * that agree with shape inference. Reports every problem, each naming its node.
 */
public final class Verifier {
  private final OpRegistry registry;

  public Verifier(OpRegistry registry) {
    this.registry = registry;
  }

  public static Verifier standard() {
    return new Verifier(OpRegistry.standard());
  }

  /** Throws {@link VerificationException} listing every problem, if there is any. */
  public void verifyOrThrow(Graph graph) {
    List<VerifierError> errors = verify(graph);
    if (!errors.isEmpty()) {
      throw new VerificationException(graph.name(), errors);
    }
  }

  public List<VerifierError> verify(Graph graph) {
    List<VerifierError> errors = new ArrayList<>();
    Map<String, Value> defined = new HashMap<>();
    Map<String, Tensor> known = new HashMap<>();
    for (Value v : graph.inputs()) {
      define(v, "graph input", defined, errors, Optional.empty());
    }
    for (Constant c : graph.constants()) {
      define(c.value(), "constant", defined, errors, Optional.empty());
      known.put(c.value().name(), c.data());
    }
    for (Node node : graph.nodes()) {
      verifyNode(node, defined, known, errors);
    }
    if (graph.outputs().isEmpty()) {
      errors.add(new VerifierError(Optional.empty(), "graph '" + graph.name() + "' has no outputs"));
    }
    for (Value out : graph.outputs()) {
      Value def = defined.get(out.name());
      if (def == null) {
        errors.add(new VerifierError(
            Optional.empty(), "graph output %" + out.name() + " is never defined"));
      } else if (!NodeInference.compatible(out.type(), def.type())) {
        errors.add(new VerifierError(
            Optional.empty(),
            "graph output %" + out.name() + " is declared " + out.type()
                + " but its definition has type " + def.type()));
      }
    }
    return ImmutableList.copyOf(errors);
  }

  private void verifyNode(
      Node node, Map<String, Value> defined, Map<String, Tensor> known, List<VerifierError> errors) {
    Optional<Node> where = Optional.of(node);
    boolean inputsOk = true;
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> constants = new ArrayList<>();
    List<Boolean> present = new ArrayList<>();
    for (Optional<Value> in : node.inputs()) {
      present.add(in.isPresent());
      if (in.isEmpty()) {
        types.add(Optional.empty());
        constants.add(Optional.empty());
        continue;
      }
      Value def = defined.get(in.get().name());
      if (def == null) {
        errors.add(new VerifierError(where, "uses %" + in.get().name() + ", which is not defined before it"));
        inputsOk = false;
      } else if (!def.type().equals(in.get().type())) {
        errors.add(new VerifierError(where,
            "uses %" + in.get().name() + " as " + in.get().type() + " but it is defined as " + def.type()));
        inputsOk = false;
      }
      types.add(Optional.of(in.get().type()));
      constants.add(Optional.ofNullable(known.get(in.get().name())));
    }
    Optional<OpSchema> schema = registry.lookup(node.op());
    if (schema.isEmpty()) {
      errors.add(new VerifierError(where, "unknown operator '" + node.op() + "'"
          + registry.closest(node.op()).map(s -> " (did you mean '" + s + "'?)").orElse("")));
    } else {
      List<String> problems =
          NodeInference.checkApplication(schema.get(), present, node.outputs().size(), node.attributes());
      problems.forEach(p -> errors.add(new VerifierError(where, p)));
      if (problems.isEmpty() && inputsOk) {
        try {
          NodeInference.Result r = NodeInference.infer(
              schema.get(), node.attributes(), types, constants, node.outputs().size());
          for (int i = 0; i < node.outputs().size(); i++) {
            Value out = node.output(i);
            TensorType inferred = r.types().get(i);
            if (!NodeInference.compatible(out.type(), inferred)) {
              errors.add(new VerifierError(where,
                  "declares %" + out.name() + ": " + out.type() + " but " + node.op()
                      + " gives " + inferred));
            }
            if (r.values().isPresent()) {
              known.put(out.name(), r.values().get().get(i));
            }
          }
        } catch (OpException e) {
          errors.add(new VerifierError(where, e.getMessage()));
        }
      }
    }
    for (Value out : node.outputs()) {
      define(out, "output of " + node.describe(), defined, errors, where);
    }
  }

  private static void define(
      Value v, String what, Map<String, Value> defined, List<VerifierError> errors, Optional<Node> where) {
    if (defined.putIfAbsent(v.name(), v) != null) {
      errors.add(new VerifierError(where, "%" + v.name() + " is defined twice (again as " + what + ")"));
    }
  }
}
