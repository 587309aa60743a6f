package dev.kiln.frontend.npy;

import dev.kiln.frontend.npy.PyLiteral.PyList;
import dev.kiln.frontend.npy.PyLiteral.Tuple;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The header dict of a {@code .npy} file:
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 */
record NpyHeader(NpyDescr descr, boolean fortranOrder, long[] shape) {
  /** The format versions Kiln reads, as {@code major.minor}. */
  static final Set<String> VERSIONS = Set.of("1.0", "2.0", "3.0");

  private static final List<String> KEYS = List.of("descr", "fortran_order", "shape");

  /**
   * NumPy leaves room after the dict so that a file's leading axis can grow in place; writing the
   * same padding keeps Kiln's files byte-identical to {@code numpy.save}'s.
   */
  private static final int GROWTH_AXIS_MAX_DIGITS = 21;

  static NpyHeader parse(String file, String text) {
    Map<String, Object> dict;
    try {
      dict = PyLiteral.parseDict(text);
    } catch (PyLiteral.SyntaxError e) {
      throw new NpyException(file + ": malformed header dict at character " + e.position + ": "
          + e.getMessage() + "; the header is: " + text.strip());
    }
    for (String key : dict.keySet()) {
      if (!KEYS.contains(key)) {
        throw new NpyException(file + ": unexpected key '" + key
            + "' in the header dict (expected 'descr', 'fortran_order', 'shape')");
      }
    }
    for (String key : KEYS) {
      if (!dict.containsKey(key)) {
        throw new NpyException(file + ": the header dict has no '" + key + "'");
      }
    }
    Object descr = dict.get("descr");
    if (descr instanceof PyList) {
      throw new NpyException(file + ": structured dtype " + PyLiteral.render(descr)
          + " is not supported; only plain numeric and bool arrays are");
    }
    if (!(descr instanceof String descrText)) {
      throw new NpyException(
          file + ": 'descr' must be a string, got " + PyLiteral.render(descr));
    }
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
      throw new NpyException(file + ": 'fortran_order' must be True or False, got "
          + PyLiteral.render(dict.get("fortran_order")));
    }
    return new NpyHeader(NpyDescr.parse(file, descrText), fortran, shape(file, dict.get("shape")));
  }

  private static long[] shape(String file, Object value) {
    if (value instanceof Tuple t) {
      long[] shape = new long[t.elements().size()];
      boolean ok = true;
      for (int i = 0; i < shape.length && ok; i++) {
        ok = t.elements().get(i) instanceof Long d && d >= 0;
        shape[i] = ok ? (Long) t.elements().get(i) : 0;
      }
      if (ok) {
        return shape;
      }
    }
    throw new NpyException(file + ": 'shape' must be a tuple of non-negative integers, got "
        + PyLiteral.render(value));
  }

  /** The shape as Python prints it: {@code (2, 3)}, {@code (3,)}, {@code ()}. */
  static String renderShape(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i > 0 ? ", " : "").append(shape[i]);
    }
    return sb.append(')').toString();
  }

  /** The dict text NumPy writes for a C-order array, growth padding included, without the newline. */
  static String format(String descr, long[] shape) {
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': "
        + renderShape(shape) + ", }";
    if (shape.length > 0) {
      dict += " ".repeat(GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length());
    }
    return dict;
  }
}
