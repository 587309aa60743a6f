package dev.kiln.ir.type;

/**
 * The type of a tensor value: element type and shape. Printed as {@code f32[N, 784]}.
 *
 * <p>Room for later work: a layout or encoding (blocked NCHWc, quantization parameters, a sparsity
 * format) will be an extra component here, so that types keep saying exactly what a buffer holds.
 */
public record TensorType(DType dtype, Shape shape) {

  public static TensorType of(DType dtype, long... sizes) {
    return new TensorType(dtype, Shape.of(sizes));
  }

  public static TensorType of(DType dtype, Dim... dims) {
    return new TensorType(dtype, Shape.of(dims));
  }

  public int rank() {
    return shape.rank();
  }

  @Override
  public String toString() {
    return dtype.text() + shape;
  }
}
