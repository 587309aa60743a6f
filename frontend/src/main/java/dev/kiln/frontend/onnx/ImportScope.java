package dev.kiln.frontend.onnx;

import dev.kiln.ir.graph.Value;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ONNX names visible to a node, each bound to its Kiln value, or poisoned (an empty
 * optional) when its definition failed. A function body's scope has no parent: it sees only its
 * own names. A subgraph's (an If branch) sees the enclosing ones.
 */
final class ImportScope {
  private final Map<String, Optional<Value>> names = new HashMap<>();
  private final Set<String> absent = new HashSet<>();
  private final ImportScope parent;

  ImportScope(ImportScope parent) {
    this.parent = parent;
  }

  /** Binds {@code name} here (a later definition of a name hides the earlier one). */
  void define(String name, Optional<Value> value) {
    names.put(name, value);
  }

  /** {@code name} is a function input the call left out: its uses are absent inputs. */
  void markAbsent(String name) {
    absent.add(name);
  }

  /** null: not defined; empty: poisoned; else the value. */
  Optional<Value> lookup(String name) {
    for (ImportScope s = this; s != null; s = s.parent) {
      Optional<Value> v = s.names.get(name);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  boolean isAbsent(String name) {
    return absent.contains(name) && !names.containsKey(name);
  }
}
