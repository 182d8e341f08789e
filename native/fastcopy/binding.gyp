# node-gyp build of dusk's file-range copier: copy_file_range(2) (in-kernel, as cp uses) with a pread/pwrite fallback.
{
  "targets": [
    {
      "target_name": "dusk_fastcopy",
      "sources": ["src/fastcopy.c"],
      "cflags": ["-O2", "-std=gnu11"]
    }
  ]
}
