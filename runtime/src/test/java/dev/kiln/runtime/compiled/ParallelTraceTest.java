package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParallelTraceTest {
  @Test
  void recordsEventsOnTheirThreadUntilReset() throws InterruptedException {
    ParallelTrace.reset();
    long start = System.nanoTime();
    ParallelTrace.tile(128, 4, start, ParallelTrace.cpu());
    Thread other = new Thread(() -> ParallelTrace.pack(0, 64, System.nanoTime(), -1), "trace-test-thread");
    other.start();
    other.join();
    List<ParallelTrace.Event> events = ParallelTrace.events();
    assertEquals(2, events.size(), events.toString());
    ParallelTrace.Event tile = events.get(0);
    assertEquals(ParallelTrace.Kind.TILE, tile.kind());
    assertEquals(Thread.currentThread().getName(), tile.thread());
    assertEquals(128, tile.a());
    assertEquals(4, tile.b());
    assertTrue(tile.end() >= tile.start() && tile.nanos() >= 0 && tile.cpu() >= 0, tile.toString());
    // The processor it ended on, where the C library tells it.
    assertEquals(Processors.current() >= 0, tile.core() >= 0, tile.toString());
    ParallelTrace.Event pack = events.get(1);
    assertEquals(ParallelTrace.Kind.PACK, pack.kind());
    assertEquals("trace-test-thread", pack.thread());
    assertEquals(-1, pack.cpu(), "no CPU time asked for");
    ParallelTrace.reset();
    assertTrue(ParallelTrace.events().isEmpty());
  }

  @Test
  void dropsEventsPastItsCapacity() {
    ParallelTrace.reset();
    for (int i = 0; i < 20_000; i++) {
      ParallelTrace.record(ParallelTrace.Kind.CHUNK, i, 0, System.nanoTime(), -1);
    }
    List<ParallelTrace.Event> events = ParallelTrace.events();
    assertEquals(1 << 14, events.size());
    assertEquals(0, events.get(0).a());
    ParallelTrace.reset();
  }

  @Test
  void isOffUnlessAsked() {
    assertEquals(Boolean.getBoolean("kiln.parallelTrace"), ParallelTrace.ON);
  }
}
