package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.type.DType;

/**
 * A buffer seen as a matrix, for the {@link Stmt.Matmul} intrinsic: element {@code (i, j)} is the
 * buffer's flat (row-major) element {@code offset + i * rowStride + j * colStride}. A stride of 0
 * broadcasts: a per-row bias is {@code (bias, 0, 1, 0)}, a scalar {@code (s, 0, 0, 0)}.
 *
 * @param offset an i32 expression over the enclosing loop variables (e.g. the batch index times
 *     the matrix size); constant 0 for a whole buffer
 */
public record MatrixOperand(Buffer buffer, Expr offset, long rowStride, long colStride) {
  public MatrixOperand {
    checkArgument(offset.type() == DType.I32, "matrix offset %s must be i32, got %s", offset, offset.type());
    checkArgument(rowStride >= 0 && colStride >= 0, "negative strides %s, %s on %s", rowStride, colStride, buffer);
  }

  /** The whole of a row-major {@code rows x cols} buffer (or any contiguous matrix at offset 0). */
  public static MatrixOperand rowMajor(Buffer buffer, long cols) {
    return new MatrixOperand(buffer, Exprs.index(0), cols, 1);
  }

  /** Printed {@code %buf[offset; rowStride, colStride]}. */
  @Override
  public String toString() {
    return buffer + "[" + offset + "; " + rowStride + ", " + colStride + "]";
  }
}
