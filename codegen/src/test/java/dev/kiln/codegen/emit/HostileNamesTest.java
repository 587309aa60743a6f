package dev.kiln.codegen.emit;

import static dev.kiln.ir.loop.Exprs.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Names from a model cannot change the generated program; they only show, escaped, in comments. */
class HostileNamesTest {
  static final String[] HOSTILE = {
    "*/ static { System.exit(3); } /*",
    "\\u002a/ static { System.exit(4); } /\\u002a",
    "x\\u000a static { System.exit(5); }",
    "line\nbreak\r\u2028 \"quote' \u00e9\u4e2d",
    "class", "int", "frame", "b0", "o0", "i0", "SPECIES", "run", "kernel0", "$L $T %s",
  };

  static LoopProgram program(String[] names) {
    Buffer x = Buffer.of(names[0], DType.F32, BufferRole.INPUT, 3, 19);
    Buffer c = Buffer.of(names[1], DType.F32, BufferRole.CONSTANT, 1);
    Buffer t = Buffer.of(names[2], DType.F32, BufferRole.SCRATCH, 3, 19);
    Buffer y = Buffer.of(names[3], DType.F32, BufferRole.OUTPUT, 3, 19);
    Var i = new Var(names[4]);
    Var j = new Var(names[5]);
    Local l = new Local(names[6], DType.F32);
    Stmt first = new Stmt.For(i, 3, LoopKind.PARALLEL, new Stmt.For(j, 19, LoopKind.VECTORIZED,
        Stmt.Block.of(new Stmt.Let(l, Exprs.mul(load(x, i, j), load(c, Exprs.index(0)))),
            new Stmt.Store(t, ImmutableList.of(i, j), Exprs.add(l, l)))));
    Stmt second = new Stmt.For(i, 3, LoopKind.UNROLLED, new Stmt.For(j, 19, LoopKind.SERIAL,
        new Stmt.Store(y, ImmutableList.of(i, j), Exprs.sub(load(t, i, j), load(x, i, j)))));
    return new LoopProgram(names[7], ImmutableList.of(x), ImmutableList.of(y),
        ImmutableMap.of(c, Tensor.ofFloats(new long[] {1}, 0.5f)), ImmutableList.of(t),
        ImmutableList.of(new Kernel(names[8], ImmutableList.of(x, c, t), first, names[9]),
            new Kernel(names[10], ImmutableList.of(x, t, y), second, names[11])));
  }

  @Test
  void hostileNamesChangeNeitherTheCodeNorItsResults() {
    String[] plain = new String[12];
    String[] hostile = new String[12];
    for (int k = 0; k < 12; k++) {
      plain[k] = "n" + k;
      hostile[k] = HOSTILE[k % HOSTILE.length] + (k >= HOSTILE.length ? "#" + k : "");
    }
    LoopProgram nice = program(plain);
    LoopProgram evil = program(hostile);
    String niceSource = Programs.emit(nice).source();
    String evilSource = Programs.emit(evil).source();
    assertEquals(withoutComments(niceSource), withoutComments(evilSource));
    assertFalse(evilSource.contains("\\"), evilSource);
    assertFalse(evilSource.contains("System.exit"), evilSource);
    assertEquals(count(evilSource, "/*"), count(evilSource, "*/"), evilSource);
    Tensor in = Programs.random(DType.F32, new long[] {3, 19}, new java.util.Random(9));
    Map<String, Tensor> expected = Map.of(plain[3], Programs.runCompiled(nice, Programs.emit(nice),
        Map.of(plain[0], in)).get(plain[3]));
    Map<String, Tensor> actual = Programs.runCompiled(evil, Programs.emit(evil), Map.of(hostile[0], in));
    assertEquals(expected.get(plain[3]), actual.get(hostile[3]));
    Programs.assertSameAsInterpreter(evil, 10);
  }

  private static String withoutComments(String source) {
    return source.replaceAll("(?s)/\\*\\*.*?\\*/", "");
  }

  private static int count(String s, String sub) {
    return s.split(java.util.regex.Pattern.quote(sub), -1).length - 1;
  }
}
