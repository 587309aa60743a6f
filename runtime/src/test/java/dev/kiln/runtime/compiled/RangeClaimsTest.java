package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class RangeClaimsTest {
  @Test
  void aThreadTakesItsOwnRegionInOrderThenTheOthers() {
    RangeClaims claims = new RangeClaims(10, 2, 2);
    // Region 1 is [5, 10): its owner takes 5..7, 7..9, 9..10, then what is left of region 0.
    assertEquals(List.of("5..7", "7..9", "9..10", "0..2", "2..4", "4..5"), drain(claims, 1));
    assertEquals(-1, claims.claim(0));
  }

  @Test
  void everyIndexIsClaimedExactlyOnceWhateverTheSizes() {
    for (int extent : new int[] {0, 1, 2, 3, 7, 96, 97, 1000}) {
      for (int regions : new int[] {1, 2, 3, 5}) {
        for (int group : new int[] {1, 2, 7, 200}) {
          RangeClaims claims = new RangeClaims(extent, regions, group);
          int[] hits = new int[extent];
          for (int home = 0; home < regions; home++) {
            for (String g : drain(claims, (home * 2) % regions)) {
              String[] ft = g.split("\\.\\.");
              int from = Integer.parseInt(ft[0]);
              int to = Integer.parseInt(ft[1]);
              assertEquals(true, from < to && to - from <= group, g);
              for (int i = from; i < to; i++) {
                hits[i]++;
              }
            }
          }
          for (int i = 0; i < extent; i++) {
            assertEquals(1, hits[i], "extent " + extent + " regions " + regions + " group " + group + " index " + i);
          }
        }
      }
    }
  }

  @Test
  void threadsClaimingAtOnceEachIndexOnce() throws InterruptedException {
    for (int round = 0; round < 50; round++) {
      int extent = 997 + round;
      RangeClaims claims = new RangeClaims(extent, 3, 1 + round % 4);
      AtomicIntegerArray hits = new AtomicIntegerArray(extent);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int home = t % 3;
        threads.add(new Thread(() -> {
          for (long g; (g = claims.claim(home)) >= 0; ) {
            for (int i = (int) (g >>> 32); i < (int) g; i++) {
              hits.incrementAndGet(i);
            }
          }
        }));
      }
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      for (int i = 0; i < extent; i++) {
        assertEquals(1, hits.get(i), "round " + round + " index " + i);
      }
    }
  }

  @Test
  void badArguments() {
    assertThrows(IllegalArgumentException.class, () -> new RangeClaims(-1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new RangeClaims(1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new RangeClaims(1, 1, 0));
  }

  private static List<String> drain(RangeClaims claims, int home) {
    List<String> groups = new ArrayList<>();
    for (long g; (g = claims.claim(home)) >= 0; ) {
      groups.add((g >>> 32) + ".." + (int) g);
    }
    return groups;
  }
}
