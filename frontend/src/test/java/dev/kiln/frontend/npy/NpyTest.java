package dev.kiln.frontend.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.SharedFiles;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NpyTest {
  @TempDir Path dir;

  // Written by numpy 2.4 (np.save / np.lib.format.write_array); see each test for the array.
  private static final String F32_2X3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAACDAAADAvwAAAL8AAAA/AADAPwAAIEA=";
  private static final String BOOL_SCALAR = "k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoB";
  private static final String I8_3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr/AAc=";
  private static final String U64_0X2 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPHU4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=";
  private static final String F16_4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADAADj/ew==";
  private static final String BE_FORTRAN_I4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAwAAAAEAAAAEAAAAAgAAAAU=";
  private static final String V2_U16 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8dTInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAIA//8=";
  private static final String V3_F64 = "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMSksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAARA";
  private static final String FORTRAN_F32_2X3X2 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADAQAAAAEAAAABBAACAQAAAIEEAAIA/AADgQAAAQEAAABBBAACgQAAAMEE=";

  private static byte[] b64(String s) {
    return Base64.getDecoder().decode(s);
  }

  @Test
  void writesExactlyWhatNumpyWrites() {
    // np.arange(6, dtype='<f4').reshape(2, 3) - 2.5
    Tensor f32 = Tensor.ofFloats(new long[] {2, 3}, -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f);
    assertArrayEquals(b64(F32_2X3), Npy.toBytes(f32));
    assertArrayEquals(b64(BOOL_SCALAR), Npy.toBytes(Tensor.ofBooleans(new long[0], true)));
    assertArrayEquals(b64(I8_3), Npy.toBytes(Tensor.ofLongs(DType.I8, new long[] {3}, -1, 0, 7)));
    assertArrayEquals(b64(U64_0X2), Npy.toBytes(Tensor.zeros(DType.U64, 0, 2)));
    Tensor f16 = Tensor.ofDoubles(DType.F16, new long[] {4}, 1, -2, 0.5, 65504);
    assertArrayEquals(b64(F16_4), Npy.toBytes(f16));
    assertEquals(f32, Npy.read(b64(F32_2X3), "f32.npy"));
    assertEquals(f16, Npy.read(b64(F16_4), "f16.npy"));
  }

  @Test
  void convertsBigEndianFortranOrder() {
    // np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3))
    Tensor t = Npy.read(b64(BE_FORTRAN_I4), "be.npy");
    assertEquals(Tensor.ofInts(new long[] {2, 3}, 0, 1, 2, 3, 4, 5), t);
    // np.asfortranarray(np.arange(12, dtype='<f4').reshape(2, 3, 2))
    Tensor f = Npy.read(b64(FORTRAN_F32_2X3X2), "f.npy");
    assertArrayEquals(new long[] {2, 3, 2}, f.shape());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, f.toDoubleArray());
  }

  @Test
  void readsVersions2And3() {
    assertEquals(Tensor.ofLongs(DType.U16, new long[] {3}, 1, 2, 65535),
        Npy.read(b64(V2_U16), "v2.npy"));
    assertEquals(Tensor.ofDoubles(new long[] {2, 1}, 1.5, 2.5), Npy.read(b64(V3_F64), "v3.npy"));
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = "BF16", mode = EnumSource.Mode.EXCLUDE)
  void roundTripsEveryNumpyDType(DType dtype) throws IOException {
    double[] values = {0, 1, dtype.isSigned() ? -3 : 3, 1, 0, 1};
    Tensor t = Tensor.ofDoubles(dtype, new long[] {3, 2}, values);
    Path file = dir.resolve(dtype + ".npy");
    Npy.write(file, t);
    Tensor mapped = Npy.read(file);
    assertEquals(t, mapped);
    assertTrue(mapped.data().isMapped(), "a C-order little-endian file is mapped, not copied");
    byte[] bytes = Npy.toBytes(t);
    assertArrayEquals(Files.readAllBytes(file), bytes);
    assertEquals(0, (bytes.length - t.byteSize()) % 64, "data is 64-byte aligned");
    assertEquals(t, Npy.read(new ByteArrayInputStream(bytes), "stream"));
    assertEquals(t, Npy.read(bytes, "bytes"));
  }

  @Test
  void readIsNotAffectedByLaterChangesToTheArray() {
    byte[] bytes = Npy.toBytes(Tensor.ofFloats(new long[] {1}, 5f));
    Tensor t = Npy.read(bytes, "b");
    Arrays.fill(bytes, bytes.length - 4, bytes.length, (byte) 0);
    assertEquals(5.0, t.getDouble(0));
  }

  @Test
  void bf16HasNoNumpyDType() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Npy.toBytes(Tensor.zeros(DType.BF16, 2)));
    assertEquals("NumPy has no standard dtype for bf16; cast the tensor to f32 first", e.getMessage());
  }

  @Test
  void readsTheSharedModelInputs() throws IOException {
    Path input = SharedFiles.require("models/mlp_b1.input.npy");
    Tensor t = Npy.read(input);
    assertEquals("f32[1, 784]", t.type().toString());
    // numpy wrote it, so writing it back must give the same bytes.
    assertArrayEquals(Files.readAllBytes(input), Npy.toBytes(t));
  }

  // ---- malformed files: each asserts the exact message ----

  /** A version-1.0 file with header {@code dict} (padded like NumPy) and {@code data}. */
  private static byte[] npy(String dict, byte[] data) {
    return npy(1, dict, data);
  }

  private static byte[] npy(int major, String dict, byte[] data) {
    byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
    int prefix = major == 1 ? 10 : 12;
    byte[] out = new byte[prefix + text.length + data.length];
    byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0};
    System.arraycopy(magic, 0, out, 0, 8);
    out[8] = (byte) text.length;
    out[9] = (byte) (text.length >> 8);
    System.arraycopy(text, 0, out, prefix, text.length);
    System.arraycopy(data, 0, out, prefix + text.length, data.length);
    return out;
  }

  private static final String F4_2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

  private static void assertRejected(byte[] bytes, String expectedAfterName) {
    NpyException e = assertThrows(NpyException.class, () -> Npy.read(bytes, "x.npy"));
    assertEquals("x.npy: " + expectedAfterName, e.getMessage());
  }

  @Test
  void badMagic() {
    assertRejected("PK\3\4\24\0\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1),
        "not a .npy file: it starts with 50 4b 03 04 14 00 00 00, not the magic "
            + "93 4e 55 4d 50 59 (\\x93NUMPY)");
  }

  @Test
  void truncatedHeader() {
    assertRejected(Arrays.copyOf(npy(F4_2, new byte[8]), 7),
        "file is 7 bytes, too short for the .npy header; it is truncated");
    assertRejected(Arrays.copyOf(npy(F4_2, new byte[8]), 40),
        "header length 58 is larger than the rest of the file (30 bytes); the file is truncated");
  }

  @Test
  void unsupportedVersion() {
    assertRejected(npy(4, F4_2, new byte[8]),
        "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  }

  @Test
  void malformedHeaderDict() {
    assertRejected(npy("{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]),
        "malformed header dict at character 9: expected ':' after a dict key, got '''; the header is: "
            + "{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", new byte[8]),
        "malformed header dict at character 50: a 1-element tuple needs a trailing comma, as in (3,)"
            + "; the header is: {'descr': '<f4', 'fortran_order': False, 'shape': (2), }");
    assertRejected(npy("{'descr': '<f4', 'shape': (2,), }", new byte[8]),
        "the header dict has no 'fortran_order'");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", new byte[8]),
        "unexpected key 'x' in the header dict (expected 'descr', 'fortran_order', 'shape')");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", new byte[8]),
        "'fortran_order' must be True or False, got 0");
    assertRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", new byte[8]),
        "'shape' must be a tuple of non-negative integers, got (2, -1)");
  }

  @Test
  void unsupportedDTypes() {
    assertRejected(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]),
        "unsupported dtype '|O' (Python objects, which would need unpickling); supported: "
            + NpyDescr.SUPPORTED);
    assertRejected(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]),
        "unsupported dtype '<c8' (complex numbers); supported: " + NpyDescr.SUPPORTED);
    assertRejected(npy("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", new byte[20]),
        "unsupported dtype '<U5' (unicode strings); supported: " + NpyDescr.SUPPORTED);
    assertRejected(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
            new byte[4]),
        "structured dtype [('a', '<f4')] is not supported; only plain numeric and bool arrays are");
    assertRejected(npy("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]),
        "dtype '|f4' gives byte order '|' (not applicable) for a 4-byte type; expected '<' or '>'");
  }

  @Test
  void truncatedData() {
    assertRejected(npy(F4_2, new byte[6]),
        "data is 6 bytes but shape (2,) of '<f4' needs 8; the file is truncated");
  }

  @Test
  void trailingGarbage() {
    assertRejected(npy(F4_2, new byte[11]),
        "3 bytes of trailing data after the 8 bytes that shape (2,) of '<f4' needs");
  }

  @Test
  void boolBytesMustBeZeroOrOne() {
    assertRejected(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
            new byte[] {1, 0, 7}),
        "element 2 of the bool data is 7, not 0 or 1");
  }

  @Test
  void acceptsNativeOrderAndPython2Longs() {
    Tensor t = Npy.read(npy("{'descr': '=i2', 'fortran_order': False, 'shape': (1L, 2L), }",
        new byte[] {1, 0, 2, 0}), "old.npy");
    assertEquals(Tensor.ofLongs(DType.I16, new long[] {1, 2}, 1, 2), t);
  }

  @Test
  void missingFileNamesIt() {
    Path missing = dir.resolve("none.npy");
    NpyException e = assertThrows(NpyException.class, () -> Npy.read(missing));
    assertEquals(missing + ": no such file", e.getMessage());
    e = assertThrows(NpyException.class, () -> Npy.read(dir));
    assertEquals(dir + ": is a directory, not a .npy file", e.getMessage());
  }
}
