# node-gyp build of dusk's native engine backend: ops.c (shared with the WebAssembly build), a pthread pool and the N-API glue,
# linked against the system BLAS (OpenBLAS from libopenblas-dev on Linux, Accelerate on macOS).
{
  "targets": [
    {
      "target_name": "dusk_native",
      "sources": ["src/addon.c", "src/ops.c", "src/threads.c"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-std=c11", "-pthread"],
      "ldflags": ["-pthread"],
      "cflags!": ["-O2"],
      "conditions": [
        ["OS=='linux'", {
          "defines": ["DUSK_OPENBLAS"],
          "libraries": ["-lopenblas"]
        }],
        ["OS=='mac'", {
          "defines": ["ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-fno-math-errno", "-fno-trapping-math"], "GCC_OPTIMIZATION_LEVEL": "3" }
        }]
      ]
    }
  ]
}
