/**
 * Benchmarks of Kiln against ONNX Runtime Java: the {@code kiln bench} command
 * ({@link dev.kiln.bench.BenchMain}) and JMH benchmarks ({@code dev.kiln.bench.jmh}).
 * ONNX Runtime is on this module's classpath only, never on Kiln's.
 */
package dev.kiln.bench;
