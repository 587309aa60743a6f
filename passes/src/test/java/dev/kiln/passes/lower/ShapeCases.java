package dev.kiln.passes.lower;

import dev.kiln.passes.lower.Cases.Case;
import java.util.Map;

final class ShapeCases {
  private ShapeCases() {}

  static void add(Map<String, Case> c) {
  }
}
