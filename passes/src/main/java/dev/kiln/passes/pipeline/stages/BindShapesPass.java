package dev.kiln.passes.pipeline.stages;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.type.Dim;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassException;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.shape.BindShapes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bind-shapes}: {@link BindShapes} with the input shapes of the compile request
 * ({@link PassContext#inputShapes()}) and the values of shape-deciding inputs
 * ({@link PassContext#inputValues()}), or the declared shapes when they are all static.
 */
public final class BindShapesPass implements GraphPass {
  public static final PassInfo INFO = PassInfo.graph("bind-shapes",
      "specialize the graph to concrete input shapes and fold what they make constant",
      new BindShapesPass());

  @Override
  public Graph run(Graph graph, PassContext context) {
    Map<String, long[]> shapes = context.inputShapes().isEmpty() ? declared(graph) : context.inputShapes();
    return BindShapes.bind(graph, shapes, context.inputValues());
  }

  private static Map<String, long[]> declared(Graph graph) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Value in : graph.inputs()) {
      long[] shape = new long[in.type().shape().rank()];
      for (int i = 0; i < shape.length; i++) {
        if (!(in.type().shape().dims().get(i) instanceof Dim.Known k)) {
          throw new PassException("bind-shapes: input %" + in.name() + " is " + in.type()
              + ", which is not static, and no input shapes were given (give them with --dim or --input-shape)");
        }
        shape[i] = k.size();
      }
      shapes.put(in.name(), shape);
    }
    return shapes;
  }
}
