# syntax=docker/dockerfile:1
# Build: docker build -t parapet .
# Run:   docker run -p 8000:8000 --env-file parapet.env parapet
#        (parapet.env = the two lines `parapet-build build --out parapet.env` wrote)

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY parapet-core/pom.xml parapet-core/
COPY parapet-build/pom.xml parapet-build/
COPY parapet-runtime/pom.xml parapet-runtime/
RUN ./mvnw -B -q dependency:go-offline -DexcludeGroupIds=dev.parapet || true
COPY parapet-core parapet-core
COPY parapet-build parapet-build
COPY parapet-runtime parapet-runtime
RUN ./mvnw -B -q package -DskipTests

FROM eclipse-temurin:17-jre
RUN groupadd --system parapet && useradd --system --gid parapet --home-dir /var/lib/parapet parapet \
 && mkdir -p /var/lib/parapet && chown parapet:parapet /var/lib/parapet && chmod 0700 /var/lib/parapet
COPY --from=build /src/parapet-runtime/target/parapet-runtime.jar /opt/parapet/parapet-runtime.jar
COPY --from=build /src/parapet-build/target/parapet-build.jar /opt/parapet/parapet-build.jar
# A class-data archive of everything a boot and a few calls load, made by this image's own JVM and
# jar: boot then maps those classes instead of loading and verifying them (a 100-route boot 1.54 ->
# 0.89 s on a 2-core box). train-cds boots an offline throwaway gateway on loopback and stops; it
# needs no blob, no key and no network, and leaves nothing but the archive. Should this JVM be
# unable to make one, the image is built without it and boots the ordinary way (the JVM ignores a
# missing archive).
RUN java -Xlog:cds=error -XX:ArchiveClassesAtExit=/opt/parapet/parapet.jsa \
      -jar /opt/parapet/parapet-runtime.jar train-cds \
 || { echo "parapet: no class-data archive; the image boots without one" >&2; rm -f /opt/parapet/parapet.jsa; }
USER parapet
WORKDIR /var/lib/parapet
ENV PARAPET_PORT=8000 \
    PARAPET_BIND=0.0.0.0 \
    PARAPET_DATA_DIR=/var/lib/parapet/data
VOLUME ["/var/lib/parapet"]
EXPOSE 8000
# Liveness/readiness: GET /_parapet/health (no auth) answers {"status":"ok","config_sha256":"..."},
# 503 {"status":"draining",...} once SIGTERM has begun the drain (README, Run).
# G1 with a 10 ms pause goal instead of its 200 ms default: the event loops are the latency, and
# with thousands of open streams the default lets young pauses reach tens of ms. No class unloading
# in G1's concurrent cycles: it was ~5 of the remark pause's 5-9 ms, and Parapet loads no classes
# it would later drop (a full GC still unloads). README, Performance.
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/opt/parapet/parapet.jsa", "-XX:+ExitOnOutOfMemoryError", "-XX:MaxGCPauseMillis=10", "-XX:-ClassUnloadingWithConcurrentMark", "-jar", "/opt/parapet/parapet-runtime.jar"]
