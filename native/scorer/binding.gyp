# node-gyp build of dusk's llama.cpp scorer: C++ sources against the llama.h of the llama.cpp release that
# node-llama-cpp ships (headers extracted from its git bundle by build.mjs), linked against its prebuilt libllama.
# build.mjs passes the variables below; a plain `node-gyp rebuild` without them is not supported.
{
  "variables": {
    "llama_include%": "",
    "ggml_include%": "",
    "llama_lib_dir%": "",
    "llama_lib%": "",
    "ggml_lib%": "",
    "ggml_base_lib%": "",
    "llama_rpath_relative%": ""
  },
  "targets": [
    {
      "target_name": "dusk_scorer",
      "sources": ["src/addon.cpp", "src/scorer.cpp", "src/log_softmax.cpp"],
      "include_dirs": ["<(llama_include)", "<(ggml_include)"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-Wno-psabi"],
      "cflags_cc!": ["-O2", "-std=gnu++17", "-std=gnu++20"],
      "libraries": [
        "-L<(llama_lib_dir)",
        "-l:<(llama_lib)",
        "-l:<(ggml_lib)",
        "-l:<(ggml_base_lib)",
        "-ldl",
        "-Wl,-rpath,<(llama_lib_dir)",
        "-Wl,-rpath,'$$ORIGIN/<(llama_rpath_relative)'"
      ]
    }
  ]
}
