package dev.kiln.passes.lower;

import com.google.common.collect.ImmutableMap;
import dev.kiln.passes.lower.elementwise.ElementwiseLowerings;
import dev.kiln.passes.lower.fused.FusedLowerings;
import dev.kiln.passes.lower.linalg.LinalgLowerings;
import dev.kiln.passes.lower.nn.NnLowerings;
import dev.kiln.passes.lower.reduce.ReduceLowerings;
import dev.kiln.passes.lower.shape.ShapeLowerings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The lowering of each operator, by operator name; one family class adds its operators. */
public final class LoweringRegistry {
  private final ImmutableMap<String, OpLowering> byOp;

  private LoweringRegistry(Map<String, OpLowering> byOp) {
    this.byOp = ImmutableMap.copyOf(byOp);
  }

  private static final LoweringRegistry STANDARD = build();

  /** The lowerings of every operator of {@code OpRegistry.standard()}; the same instance always. */
  public static LoweringRegistry standard() {
    return STANDARD;
  }

  private static LoweringRegistry build() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    add(all, ElementwiseLowerings.all());
    add(all, LinalgLowerings.all());
    add(all, NnLowerings.all());
    add(all, ReduceLowerings.all());
    add(all, ShapeLowerings.all());
    add(all, FusedLowerings.all());
    return new LoweringRegistry(all);
  }

  private static void add(Map<String, OpLowering> all, Map<String, OpLowering> family) {
    for (Map.Entry<String, OpLowering> e : family.entrySet()) {
      if (all.putIfAbsent(e.getKey(), e.getValue()) != null) {
        throw new IllegalStateException("two lowerings for " + e.getKey());
      }
    }
  }

  public LoweringRegistry plus(Map<String, OpLowering> more) {
    Map<String, OpLowering> all = new LinkedHashMap<>(byOp);
    add(all, more);
    return new LoweringRegistry(all);
  }

  /** This registry with the lowering of {@code op}, which must have one, replaced by {@code lowering}. */
  public LoweringRegistry replacing(String op, OpLowering lowering) {
    if (!byOp.containsKey(op)) {
      throw new IllegalArgumentException("no lowering for " + op + " to replace");
    }
    Map<String, OpLowering> all = new LinkedHashMap<>(byOp);
    all.put(op, lowering);
    return new LoweringRegistry(all);
  }

  /** This registry with {@code replacements} lowering their operators instead. */
  public LoweringRegistry replacing(Map<String, OpLowering> replacements) {
    Map<String, OpLowering> all = new LinkedHashMap<>(byOp);
    all.putAll(replacements);
    return new LoweringRegistry(all);
  }

  public Optional<OpLowering> lookup(String op) {
    return Optional.ofNullable(byOp.get(op));
  }

  public Set<String> operators() {
    return byOp.keySet();
  }
}
