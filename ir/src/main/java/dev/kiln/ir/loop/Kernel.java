package dev.kiln.ir.loop;

import com.google.common.collect.ImmutableList;

/**
 * One loop nest (or a few) that becomes one generated method: it reads and writes only its
 * buffers.
 *
 * @param name unique within a program; for printing and profiles, never a Java identifier as is
 * @param buffers every buffer the body touches
 * @param source the graph node(s) this kernel computes, for messages (e.g. {@code Conv node 'c1'})
 */
public record Kernel(String name, ImmutableList<Buffer> buffers, Stmt body, String source) {
  public Kernel {
    buffers = ImmutableList.copyOf(buffers);
  }

  /** The buffers this kernel's body writes (stores, matmul and convolution outputs). */
  public java.util.Set<Buffer> writes() {
    java.util.Set<Buffer> written = new java.util.LinkedHashSet<>();
    LoopVerifier.collectStores(body, written);
    return written;
  }

  public Kernel withBody(Stmt newBody) {
    return new Kernel(name, buffers, newBody, source);
  }

  @Override
  public String toString() {
    return LoopPrinter.print(this);
  }
}
