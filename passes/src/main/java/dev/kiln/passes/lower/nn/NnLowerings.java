package dev.kiln.passes.lower.nn;

import dev.kiln.passes.lower.OpLowering;
import java.util.LinkedHashMap;
import java.util.Map;

public final class NnLowerings {
  private NnLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    return all;
  }
}
