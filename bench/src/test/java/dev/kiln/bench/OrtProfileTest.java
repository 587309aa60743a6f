package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OrtProfileTest {
  /** Three runs, as ONNX Runtime writes them: a model_run event, then one event per node. */
  static final String TRACE = """
      [
      {"cat" : "Session","pid" :1,"tid" :1,"dur" :900,"ts" :10,"ph" : "X","name" :"session_initialization","args" : {}},
      {"cat" : "Node","pid" :1,"tid" :1,"dur" :500,"ts" :100,"ph" : "X","name" :"conv_kernel_time","args" : {"op_name" : "Conv"}},
      {"cat" : "Session","pid" :1,"tid" :1,"dur" :600,"ts" :100,"ph" : "X","name" :"model_run","args" : {}},
      {"cat" : "Node","pid" :1,"tid" :1,"dur" :8,"ts" :200,"ph" : "X","name" :"conv_fence_before","args" : {"op_name" : "Conv"}},
      {"cat" : "Node","pid" :1,"tid" :1,"dur" :30,"ts" :210,"ph" : "X","name" :"conv_kernel_time","args" : {"op_name" : "Conv"}},
      {"cat" : "Node","pid" :1,"tid" :1,"dur" :6,"ts" :250,"ph" : "X","name" :"/a/MatMul/MatMulAddFusion_kernel_time","args" : {"op_name" : "Gemm"}},
      {"cat" : "Session","pid" :1,"tid" :1,"dur" :50,"ts" :200,"ph" : "X","name" :"model_run","args" : {}},
      {"cat" : "Node","pid" :1,"tid" :1,"dur" :50,"ts" :310,"ph" : "X","name" :"conv_kernel_time","args" : {"op_name" : "Conv"}},
      {"cat" : "Node","pid" :1,"tid" :1,"dur" :10,"ts" :350,"ph" : "X","name" :"/a/MatMul/MatMulAddFusion_kernel_time","args" : {"op_name" : "Gemm"}},
      {"cat" : "Session","pid" :1,"tid" :1,"dur" :70,"ts" :300,"ph" : "X","name" :"model_run","args" : {}}
      ]
      """;

  @Test
  void averagesEachNodeOverTheLastRuns() {
    // The first run (ts 100, conv 500 us) is warm-up; fences are not kernel time.
    List<OrtProfile.NodeTime> times = OrtProfile.nodeTimes(TRACE, 2);
    assertEquals(List.of(new OrtProfile.NodeTime("conv", "Conv", 40.0),
        new OrtProfile.NodeTime("/a/MatMul/MatMulAddFusion", "Gemm", 8.0)), times);
  }

  @Test
  void countsEveryRunWhenAskedFor() {
    assertEquals(580.0 / 3, OrtProfile.nodeTimes(TRACE, 3).get(0).microsPerRun(), 1e-9);
  }

  @Test
  void aTraceWithFewerRunsIsAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OrtProfile.nodeTimes(TRACE, 4));
    assertEquals("the profile has 3 runs, not the 4 asked for", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> OrtProfile.nodeTimes("{}", 1));
    assertEquals("an ONNX Runtime profile is a JSON array of events", e.getMessage());
  }
}
