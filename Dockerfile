# A small static image of arca: the binary, CA certificates (for S3 over
# https), an empty /data owned by the unprivileged user, nothing else.
#
#   docker build -t arca .
#   docker run -p 8080:8080 -v arca-data:/data arca
#
# The build step is the one the end-to-end tests use (CGO_ENABLED=0,
# -trimpath), and a test checks that binary is static.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/arca ./cmd/arca \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/arca /arca
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ARCA_DATA=/data ARCA_LISTEN=0.0.0.0:8080
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["/arca"]
CMD ["serve"]
