package dev.kiln.examples.plugin;

import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.pipeline.PassOption;
import dev.kiln.passes.pipeline.PassPlugin;
import dev.kiln.passes.pipeline.PassRegistry;
import dev.kiln.passes.rewrite.PatternPass;
import java.util.List;

/**
 * The example pass plugin: a rewrite pattern made a pass ({@code fold-double-negation}) and a
 * whole-graph pass with an option ({@code name-nodes}). Kiln finds this class through
 * {@code META-INF/services/dev.kiln.passes.pipeline.PassPlugin} in the jar.
 */
public final class ExamplePasses implements PassPlugin {
  @Override
  public String name() {
    return "example-passes";
  }

  @Override
  public void register(PassRegistry.Builder registry) {
    registry.register(PassInfo.graph("fold-double-negation", "rewrite Neg(Neg(x)) to x",
        PatternPass.of(new FoldDoubleNegation())));
    registry.register(PassInfo.graph("name-nodes", "give every unnamed node a name: PREFIX + its index",
        List.of(PassOption.ofString("prefix", "node", "the start of every new name")),
        options -> new NameNodes(options.string("prefix"))));
  }
}
