#!/bin/bash -eu
# ClusterFuzzLite entry point: the OSS-Fuzz-style build of the repository.
"$SRC/nmrsim/tools/oss-fuzz/build.sh"
