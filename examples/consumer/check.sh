#!/usr/bin/env bash
# Builds the consumer against the installed io.softmaxcl:softmax-cl (mvn install it first), checks that its
# resolved dependencies are softmax-cl and jocl and nothing else, then runs it on the class path and the module path.
# Extra Maven options (e.g. -o, -Dmaven.repo.local=...) come from MVN_ARGS.
set -euo pipefail
cd "$(dirname "$0")"
mvn=(mvn -B -q ${MVN_ARGS:-})

"${mvn[@]}" clean package
"${mvn[@]}" dependency:list -DoutputFile=target/deps.txt -DoutputAbsoluteArtifactFilename=false
"${mvn[@]}" dependency:build-classpath -Dmdep.outputFile=target/classpath.txt

# dependency:list lines look like "   org.jocl:jocl:jar:2.0.6:compile -- module jocl (auto)".
deps=$(awk '/^ +[^ :]+:[^ :]+:/ {split($1, a, ":"); print a[1] ":" a[2]}' target/deps.txt | sort)
expected=$(printf '%s\n' io.softmaxcl:softmax-cl org.jocl:jocl | sort)
if [ "$deps" != "$expected" ]; then
  echo "consumer: the dependency tree must hold only softmax-cl and jocl; it holds:" >&2
  cat target/deps.txt >&2
  exit 1
fi
echo "consumer: dependencies are exactly: $(echo $deps)"

cp=$(cat target/classpath.txt)
java --add-modules jdk.incubator.vector -cp "target/classes:$cp" io.softmaxcl.example.Consumer
java --add-modules jdk.incubator.vector --module-path "target/classes:$cp" \
  -m io.softmaxcl.example/io.softmaxcl.example.Consumer
