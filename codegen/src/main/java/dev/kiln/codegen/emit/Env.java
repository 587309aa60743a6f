package dev.kiln.codegen.emit;

import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Var;
import java.util.HashMap;
import java.util.Map;

/**
 * The Java names in scope at one point of a generated method: loop variables and locals, bound
 * per Java block (a child per nested block), so a name declared in a block is gone after it.
 */
final class Env {
  private final Env parent;
  private final Map<Var, String> vars = new HashMap<>();
  private final Map<Local, String> locals = new HashMap<>();
  private final Map<Var, Long> extents = new HashMap<>();

  private Env(Env parent) {
    this.parent = parent;
  }

  static Env root() {
    return new Env(null);
  }

  Env child() {
    return new Env(this);
  }

  /** Binds loop variable {@code v}, which ranges over {@code [0, extent)}. */
  void bind(Var v, String javaName, long extent) {
    vars.put(v, javaName);
    extents.put(v, extent);
  }

  /** The extent of every loop variable in scope, for index range analysis. */
  Map<Var, Long> extents() {
    Map<Var, Long> all = new HashMap<>();
    for (Env e = this; e != null; e = e.parent) {
      e.extents.forEach(all::putIfAbsent);
    }
    return all;
  }

  void bind(Local l, String javaName) {
    locals.put(l, javaName);
  }

  String var(Var v) {
    for (Env e = this; e != null; e = e.parent) {
      String n = e.vars.get(v);
      if (n != null) {
        return n;
      }
    }
    throw new IllegalArgumentException("loop variable " + v + " used outside its loop");
  }

  String local(Local l) {
    for (Env e = this; e != null; e = e.parent) {
      String n = e.locals.get(l);
      if (n != null) {
        return n;
      }
    }
    throw new IllegalArgumentException("local " + l + " used before its declaration");
  }

  boolean hasLocal(Local l) {
    for (Env e = this; e != null; e = e.parent) {
      if (e.locals.containsKey(l)) {
        return true;
      }
    }
    return false;
  }

  /** Every binding visible here, innermost first, for lambdas that need final copies. */
  Map<Var, String> visibleVars() {
    Map<Var, String> all = new HashMap<>();
    for (Env e = this; e != null; e = e.parent) {
      e.vars.forEach(all::putIfAbsent);
    }
    return all;
  }

  Map<Local, String> visibleLocals() {
    Map<Local, String> all = new HashMap<>();
    for (Env e = this; e != null; e = e.parent) {
      e.locals.forEach(all::putIfAbsent);
    }
    return all;
  }
}
