package dev.kiln.passes.graph;

import dev.kiln.ir.op.OpRegistry;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.pipeline.PassOption;
import java.util.List;
import java.util.Optional;

/**
 * The graph optimization passes of this package as pass registry entries (pipeline name, one-line
 * summary, options, factory); {@code StandardPasses} registers them all.
 */
public final class GraphPasses {
  private GraphPasses() {}

  public static final PassInfo FOLD_CONSTANTS = PassInfo.graph(FoldConstants.NAME,
      "evaluate nodes whose inputs are all constants, outputs up to max-elements",
      List.of(PassOption.ofInt("max-elements", FoldConstants.DEFAULT_MAX_ELEMENTS,
          "the largest output, in elements, that becomes a constant")),
      options -> new FoldConstants(OpRegistry.standard(), options.integer("max-elements")));

  public static final PassInfo CSE = PassInfo.graph(CommonSubexpressionElimination.NAME,
      "merge nodes with the same operator, inputs and attributes, and equal inline constants",
      new CommonSubexpressionElimination());

  public static final PassInfo SIMPLIFY = PassInfo.graph(Simplify.NAME,
      "remove identities and no-ops, collapse transpose and reshape chains, fold static shapes",
      new Simplify());

  public static final PassInfo FOLD_BATCHNORM = PassInfo.graph(FoldBatchNorm.NAME,
      "fold inference BatchNormalization into the constant weights of a Conv, Gemm or MatMul",
      new FoldBatchNorm());

  public static final PassInfo FUSE_EPILOGUE = PassInfo.graph(FuseEpilogue.NAME,
      "fuse Conv/Gemm/MatMul with a following bias, residual Add and activation into one node",
      new FuseEpilogue());

  public static final PassInfo RECOGNIZE_GELU = PassInfo.graph(RecognizeGelu.NAME,
      "replace the exported erf and tanh GELU subgraphs with one Gelu node",
      new RecognizeGelu());

  public static final PassInfo RECOGNIZE_LAYERNORM = PassInfo.graph(RecognizeLayerNorm.NAME,
      "replace the exported mean/variance arithmetic of layer norm with LayerNormalization",
      new RecognizeLayerNorm());

  public static final PassInfo ASSIGN_LAYOUT = PassInfo.graph(AssignLayout.NAME,
      "compute conv networks in the blocked layout NCHWc, reordering only at region edges",
      List.of(PassOption.ofInt("block", 16, "the channels per block (the f32 lanes of a vector)"),
          PassOption.ofBool("dense", true, "block dense convolutions too, not only depthwise")),
      options -> new AssignLayout(options.integer("block"), options.bool("dense")));

  /** Every graph pass, dce included. */
  public static final List<PassInfo> PASSES = List.of(SIMPLIFY, FOLD_CONSTANTS, CSE,
      DeadCodeElimination.INFO, RECOGNIZE_GELU, RECOGNIZE_LAYERNORM, FOLD_BATCHNORM, FUSE_EPILOGUE,
      ASSIGN_LAYOUT);

  /** Clean-up, as a pipeline: what {@code graph-cleanup} runs. */
  public static final String CLEANUP = "simplify,fold-constants,cse,dce";

  /**
   * Recognition and fusion, as a pipeline: recognition before fusion (a recognized Gelu can then
   * fuse), batch norm folding before epilogue fusion (so a Conv's BN, residual and ReLU all fuse).
   */
  public static final String FUSION = "recognize-gelu,recognize-layernorm,fold-batchnorm,fuse-epilogue";

  /** Every pass in the order they work best together: clean-up, fusion, clean-up. */
  public static final List<String> STANDARD_ORDER = List.of(
      (CLEANUP + "," + FUSION + "," + CLEANUP).split(","));

  public static Optional<PassInfo> lookup(String name) {
    return PASSES.stream().filter(e -> e.argument().equals(name)).findFirst();
  }
}
