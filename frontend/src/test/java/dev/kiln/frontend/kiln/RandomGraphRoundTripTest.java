package dev.kiln.frontend.kiln;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random graphs, with random names, attributes and inline tensors of every dtype, survive
 * {@code parse(print(g))}. A failure names its seed; the printed text is in the message.
 */
class RandomGraphRoundTripTest {
  private static final String NAME_CHARS =
      "abcXYZ019_.:/-*\"\\\n\t\u0000 %?\u00e9\u4e2d\uD83D\uDE00\u2028";

  @Test
  void randomGraphsRoundTrip() {
    for (long seed = 0; seed < 60; seed++) {
      KilnRoundTripTest.roundTrip(randomGraph(new Random(seed)));
    }
  }

  private static Graph randomGraph(Random r) {
    GraphBuilder b = Graph.builder(name(r));
    List<Value> values = new ArrayList<>();
    int inputs = 1 + r.nextInt(3);
    for (int i = 0; i < inputs; i++) {
      values.add(b.input(name(r) + "#in" + i, new TensorType(DType.F32, shape(r, true))));
    }
    int constants = r.nextInt(4);
    for (int i = 0; i < constants; i++) {
      values.add(b.constant(name(r) + "#c" + i, tensor(r)));
    }
    int nodes = 1 + r.nextInt(6);
    for (int i = 0; i < nodes; i++) {
      Value in = values.get(r.nextInt(values.size()));
      Value out = new Value(name(r) + "#n" + i, in.type());
      Node node = switch (r.nextInt(3)) {
        case 0 -> Node.of("TRelu", in, out);
        case 1 -> Node.of("TEverything", List.of(in), List.of(out), attributes(r));
        default -> new Node("", "TClip", ImmutableList.of(Optional.of(in), Optional.empty(),
            Optional.of(b.constant(name(r) + "#max" + i, Tensor.scalar(in.type().dtype(), 1)))),
            ImmutableList.of(out), Attributes.EMPTY);
      };
      b.addNode(r.nextBoolean() ? node.withName(name(r)) : node);
      values.add(out);
    }
    b.output(values.getLast());
    if (r.nextBoolean()) {
      b.output(values.getFirst());
    }
    return b.build();
  }

  private static String name(Random r) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + r.nextInt(6);
    for (int i = 0; i < n; i++) {
      sb.append(NAME_CHARS.charAt(r.nextInt(NAME_CHARS.length())));
    }
    return sb.toString();
  }

  private static Shape shape(Random r, boolean symbolic) {
    List<Dim> dims = new ArrayList<>();
    int rank = r.nextInt(4);
    for (int i = 0; i < rank; i++) {
      int kind = symbolic ? r.nextInt(3) : 0;
      dims.add(kind == 0 ? Dim.of(r.nextInt(4)) : kind == 1 ? Dim.named(name(r)) : Dim.UNKNOWN);
    }
    return Shape.of(dims);
  }

  /** A tensor of a random dtype whose elements are random bit patterns (NaNs made canonical). */
  private static Tensor tensor(Random r) {
    DType d = DType.values()[r.nextInt(DType.values().length)];
    TensorWriter w = TensorWriter.of(d, shape(r, false).toLongArray());
    for (long i = 0; i < w.size(); i++) {
      if (d.isFloating()) {
        double v = d == DType.F64
            ? Double.longBitsToDouble(r.nextLong())
            : Float.intBitsToFloat(r.nextInt());
        w.setDouble(i, Double.isNaN(v) ? Double.NaN : v);
      } else {
        w.setLong(i, r.nextLong());
      }
    }
    return w.build();
  }

  private static Attributes attributes(Random r) {
    Attributes.Builder a = Attributes.builder();
    if (r.nextBoolean()) {
      a.put("i", r.nextLong());
    }
    if (r.nextBoolean()) {
      a.put("f", Float.intBitsToFloat(r.nextInt()));
    }
    if (r.nextBoolean()) {
      a.put("s", name(r));
    }
    if (r.nextBoolean()) {
      a.putInts("ints", r.longs(r.nextInt(4)).toArray());
    }
    if (r.nextBoolean()) {
      float[] f = new float[r.nextInt(4)];
      for (int i = 0; i < f.length; i++) {
        f[i] = Float.intBitsToFloat(r.nextInt());
      }
      a.putFloats("floats", f);
    }
    if (r.nextBoolean()) {
      a.put("strings", Attribute.strings(name(r), name(r)));
    }
    if (r.nextBoolean()) {
      a.put("value", Attribute.of(tensor(r)));
    }
    return a.build();
  }
}
