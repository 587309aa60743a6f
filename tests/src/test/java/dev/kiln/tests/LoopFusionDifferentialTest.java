package dev.kiln.tests;

import static dev.kiln.tests.BlockedLayoutDifferentialTest.checkO3;
import static dev.kiln.tests.BlockedLayoutDifferentialTest.w;

import dev.kiln.tests.BlockedLayoutDifferentialTest.Case;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graphs -O3's loop passes rewrite, compiled at -O3, against the reference interpreter: {@code fold-copies-into-matmul} (transposes, slices, scaled and reshaped views on either
 * side of a matmul, and the cases it must leave alone: a copy with another reader, rows that are
 * not contiguous, integer matmuls) and {@code fuse-elementwise} (chains, broadcasts, a producer
 * read twice or by two kernels, casts, row-wise consumers, views between). The ONNX node tests are
 * one operator each, so they do not exercise these passes.
 */
class LoopFusionDifferentialTest {
  @TempDir
  static Path dir;

  static List<Case> cases() {
    return List.of(
        // fold-copies-into-matmul
        c("transposed A", "%a: f32[7, 5], %b: f32[7, 9]", "%t = Transpose(%a) {perm = [1, 0]}\n%y = MatMul(%t, %b)\n"),
        c("transposed B", "%a: f32[N, 6, 7], %b: f32[9, 7]", "%t = Transpose(%b) {perm = [1, 0]}\n%y = MatMul(%a, %t)\n"),
        c("batched transpose of A and B", "%a: f32[2, 5, 3, 7], %b: f32[2, 4, 3, 7]",
            "%ta = Transpose(%a) {perm = [0, 2, 1, 3]}\n%tb = Transpose(%b) {perm = [0, 2, 3, 1]}\n"
                + "%y = MatMul(%ta, %tb)\n"),
        c("scaled operands (divide, multiply, negative scalar)", "%a: f32[6, 7], %b: f32[7, 5]",
            "const %d: f32[] = -2.5\nconst %m: f32[1] = [0.75]\n"
                + "%ta = Div(%a, %d)\n%tb = Mul(%b, %m)\n%y = MatMul(%ta, %tb)\n"),
        c("transpose of a scaled operand", "%a: f32[7, 6], %b: f32[7, 5]",
            "const %d: f32[] = 3.0\n%s = Div(%a, %d)\n%t = Transpose(%s) {perm = [1, 0]}\n%y = MatMul(%t, %b)\n"),
        c("matmul output transposed and reshaped (heads concatenated)", "%a: f32[2, 5, 7], %b: f32[2, 7, 3]",
            "const %shape: i64[2] = [5, 6]\n%p = MatMul(%a, %b)\n%t = Transpose(%p) {perm = [1, 0, 2]}\n"
                + "%y = Reshape(%t, %shape)\n"),
        c("matmul output transposed 2-D (rows not contiguous: not folded)", "%a: f32[5, 7], %b: f32[7, 3]",
            "%p = MatMul(%a, %b)\n%y = Transpose(%p) {perm = [1, 0]}\n"),
        c("slices of one projection (attention's Q, K, V)", "%x: f32[N, 4, 6]",
            w("w", 6, 18)
                + "const %s0: i64[1] = [0]\nconst %s1: i64[1] = [6]\nconst %s2: i64[1] = [12]\n"
                + "const %s3: i64[1] = [18]\nconst %ax: i64[1] = [-1]\n"
                + "%p = MatMul(%x, %w)\n%q = Slice(%p, %s0, %s1, %ax)\n%k = Slice(%p, %s1, %s2, %ax)\n"
                + "%v = Slice(%p, %s2, %s3, %ax)\n%kt = Transpose(%k) {perm = [0, 2, 1]}\n"
                + "%sc = MatMul(%q, %kt)\n%y = MatMul(%sc, %v)\n"),
        c("stepped slice into a matmul", "%a: f32[10, 7], %b: f32[7, 4]",
            "const %s: i64[1] = [1]\nconst %e: i64[1] = [10]\nconst %ax: i64[1] = [0]\nconst %st: i64[1] = [2]\n"
                + "%t = Slice(%a, %s, %e, %ax, %st)\n%y = MatMul(%t, %b)\n"),
        c("slice of columns into a matmul", "%a: f32[6, 11], %b: f32[7, 4]",
            "const %s: i64[1] = [2]\nconst %e: i64[1] = [9]\nconst %ax: i64[1] = [1]\n"
                + "%t = Slice(%a, %s, %e, %ax)\n%y = MatMul(%t, %b)\n"),
        c("transpose with another reader (not folded)", "%a: f32[7, 5], %b: f32[7, 9]",
            "%t = Transpose(%a) {perm = [1, 0]}\n%y = MatMul(%t, %b)\n%z = Relu(%t)\n"),
        c("transpose read by two matmuls", "%a: f32[7, 5], %b: f32[7, 9], %c: f32[7, 3]",
            "%t = Transpose(%a) {perm = [1, 0]}\n%y = MatMul(%t, %b)\n%z = MatMul(%t, %c)\n"),
        c("transpose into an i32 matmul (no intrinsic)", "%a: i32[7, 5], %b: i32[7, 9]",
            "%t = Transpose(%a) {perm = [1, 0]}\n%y = MatMul(%t, %b)\n"),
        c("gemm with transA of a transpose", "%a: f32[5, 7], %b: f32[9, 7], %c: f32[9]",
            "%t = Transpose(%a) {perm = [1, 0]}\n%y = Gemm(%t, %b, %c) {transA = 1, transB = 1, alpha = 0.5, beta = 2.0}\n"),
        c("broadcast batch with a transposed B", "%a: f32[3, 4, 5], %b: f32[6, 5]",
            "%t = Transpose(%b) {perm = [1, 0]}\n%y = MatMul(%a, %t)\n"),
        c("1-D operand and a transposed matrix", "%a: f32[7], %b: f32[5, 7]",
            "%t = Transpose(%b) {perm = [1, 0]}\n%y = MatMul(%a, %t)\n"),
        // fuse-elementwise
        c("chain add, mul, relu, sigmoid", "%a: f32[N, 5, 33], %b: f32[N, 5, 33]",
            "%s = Add(%a, %b)\n%m = Mul(%s, %a)\n%r = Relu(%m)\n%y = Sigmoid(%r)\n"),
        c("broadcast producer into a larger consumer", "%a: f32[N, 1, 33], %b: f32[33], %c: f32[N, 4, 33]",
            "%s = Add(%a, %b)\n%r = Relu(%s)\n%y = Mul(%r, %c)\n"),
        c("producer read twice by its consumer", "%a: f32[N, 17]", "%r = Relu(%a)\n%y = Mul(%r, %r)\n"),
        c("producer read by two kernels", "%a: f32[N, 17]", "%r = Tanh(%a)\n%y = Exp(%r)\n%z = Neg(%r)\n"),
        c("producer that is also an output", "%a: f32[N, 17]", "%r = Abs(%a)\n%y = Sqrt(%r)\n%z = Identity(%r)\n"),
        c("casts and integer arithmetic", "%a: f32[N, 19]",
            "%h = Cast(%a) {to = 10}\n%f = Cast(%h) {to = 1}\n%i = Cast(%a) {to = 6}\n%j = Mul(%i, %i)\n"
                + "%k = Cast(%j) {to = 1}\n%y = Add(%f, %k)\n"),
        c("where with a computed condition", "%a: f32[N, 19], %b: f32[N, 19]",
            "const %z: f32[] = 0.0\n%g = Greater(%a, %z)\n%e = Exp(%b)\n%y = Where(%g, %e, %b)\n"),
        c("residual add into softmax and layernorm", "%a: f32[N, 3, 37], %b: f32[N, 3, 37], %g: f32[37], %h: f32[37]",
            "%s = Add(%a, %b)\n%y = Softmax(%s) {axis = -1}\n%t = Mul(%a, %b)\n%z = LayerNormalization(%t, %g, %h)\n"),
        c("softmax over a middle axis after an add", "%a: f32[N, 5, 7], %b: f32[N, 5, 7]",
            "%s = Add(%a, %b)\n%y = Softmax(%s) {axis = 1}\n"),
        c("reshape and transpose between elementwise kernels", "%a: f32[N, 6, 10]",
            "const %shape: i64[3] = [-1, 10, 6]\n%r = Relu(%a)\n%v = Reshape(%r, %shape)\n"
                + "%t = Transpose(%v) {perm = [0, 2, 1]}\n%y = Add(%t, %a)\n"),
        c("expand then add", "%a: f32[1, 9], %b: f32[N, 4, 9]",
            "const %shape: i64[3] = [1, 4, 9]\n%e = Expand(%a, %shape)\n%n = Neg(%e)\n%y = Add(%n, %b)\n"));
  }

  private static Case c(String name, String signature, String body) {
    return new Case(name, signature, body, false);
  }

  @TestFactory
  Stream<DynamicTest> o3ComputesWhatTheInterpreterComputes() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> checkO3(dir, c)));
  }
}
