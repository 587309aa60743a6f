package dev.kiln.passes.pipeline;

/**
 * A jar of passes: the service interface that {@code kiln --plugin my-passes.jar} and
 * {@code ModelOptions.withPlugin} load through {@link java.util.ServiceLoader}. A plugin jar holds
 * its classes and a file {@code META-INF/services/dev.kiln.passes.pipeline.PassPlugin} naming its
 * implementation, which needs a public no-argument constructor:
 *
 * <pre>{@code
 * public final class MyPasses implements PassPlugin {
 *   public String name() { return "my-passes"; }
 *   public void register(PassRegistry.Builder registry) {
 *     registry.register(PassInfo.graph("fold-double-negation", "Neg(Neg(x)) is x",
 *         PatternPass.of(new FoldDoubleNegation())));
 *   }
 * }
 * }</pre>
 *
 * Once registered, a pass runs by name in any pipeline: {@code --passes=fold-double-negation,O1}.
 */
public interface PassPlugin {
  /** The plugin's name, for messages. */
  String name();

  /** Adds the plugin's passes (and named pipelines, if any) to {@code registry}. */
  void register(PassRegistry.Builder registry);
}
