package dev.kiln.passes.lower.shape;

import dev.kiln.passes.lower.OpLowering;
import java.util.LinkedHashMap;
import java.util.Map;

public final class ShapeLowerings {
  private ShapeLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    return all;
  }
}
