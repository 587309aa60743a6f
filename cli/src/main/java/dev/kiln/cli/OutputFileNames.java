package dev.kiln.cli;

import java.util.Set;

/**
 * File names for outputs. Value names come from the model and may hold anything ({@code ../x},
 * {@code a/b}, NUL): only {@code [A-Za-z0-9._-]} survive, the rest become {@code _}, and clashes
 * get a numeric suffix, so an output file always lands inside the output directory.
 */
final class OutputFileNames {
  private OutputFileNames() {}

  static String forValue(String valueName, Set<String> taken) {
    StringBuilder sb = new StringBuilder();
    valueName.codePoints().forEach(c -> sb.append(
        c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-') ? (char) c : '_'));
    String base = sb.toString();
    if (base.isEmpty() || base.chars().allMatch(c -> c == '.')) {
      base = "output" + base.replace('.', '_');
    }
    if (base.length() > 100) {
      base = base.substring(0, 100);
    }
    String name = base + ".npy";
    for (int i = 1; taken.contains(name); i++) {
      name = base + "_" + i + ".npy";
    }
    return name;
  }
}
