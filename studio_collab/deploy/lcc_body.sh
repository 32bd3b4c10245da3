# --- everything below is fixed; the settings above are all an admin should need to change ---------------
# app_container.log is shipped to CloudWatch (/aws/sagemaker/studio); stdout reaches the LCC's own log stream.
LOG_FILE="${STUDIO_COLLAB_LCC_LOG:-/var/log/apps/app_container.log}"
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/studio-collab-lcc.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) studio-collab-lcc: $*"
  echo "$line"
  if [ -w "$LOG_FILE" ] || { [ ! -e "$LOG_FILE" ] && [ -w "$(dirname "$LOG_FILE")" ]; }; then
    echo "$line" >>"$LOG_FILE"
  fi
}
fail() { log "ERROR: $*"; exit 1; }
trap 'log "ERROR: line $LINENO failed; studio-collab is not (fully) installed"' ERR

# Python of the image's Jupyter environment (SageMaker Distribution: /opt/conda).
PYTHON="${STUDIO_COLLAB_PYTHON:-/opt/conda/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3 || true)"
[ -n "$PYTHON" ] || fail "no Python here: set STUDIO_COLLAB_PYTHON to the Jupyter environment's python"

installed_version() {
  "$PYTHON" - <<'PY'
import importlib.metadata as metadata
try:
    print(metadata.version("studio_collab"))
except metadata.PackageNotFoundError:
    pass
PY
}

# Copies a wheel (s3://bucket/key.whl) or every wheel under a prefix (s3://bucket/wheelhouse/) into $1.
s3_copy() {
  local dest="$1"
  if command -v aws >/dev/null 2>&1; then
    local recursive=()
    [[ "$STUDIO_COLLAB_SOURCE" == */ ]] && recursive=(--recursive --exclude '*' --include '*.whl')
    timeout "$COPY_TIMEOUT_SECONDS" aws s3 cp --only-show-errors "${recursive[@]}" "$STUDIO_COLLAB_SOURCE" "$dest/"
  else
    # Images without the AWS CLI still have boto3 next to Jupyter.
    timeout "$COPY_TIMEOUT_SECONDS" "$PYTHON" - "$STUDIO_COLLAB_SOURCE" "$dest" <<'PY'
import os, sys
import boto3
uri, dest = sys.argv[1], sys.argv[2]
bucket, _, key = uri[len("s3://"):].partition("/")
s3 = boto3.client("s3")
if key and not key.endswith("/"):
    keys = [key]
else:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
    keys = [o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".whl")]
for k in keys:
    s3.download_file(bucket, k, os.path.join(dest, os.path.basename(k)))
PY
  fi
}

install_package() {
  local pip_args=(install --disable-pip-version-check --no-input --quiet)
  local wheel_dir=""
  case "$STUDIO_COLLAB_SOURCE" in
    index) ;;
    s3://*)
      wheel_dir="$WORK_DIR/wheels"
      mkdir -p "$wheel_dir"
      log "copying $STUDIO_COLLAB_SOURCE"
      s3_copy "$wheel_dir" || fail "could not copy $STUDIO_COLLAB_SOURCE: check the execution role may s3:GetObject it (and s3:ListBucket for a prefix) and, in a VPC-only domain, that an S3 gateway endpoint exists"
      ;;
    *)
      if [ -d "$STUDIO_COLLAB_SOURCE" ]; then wheel_dir="$STUDIO_COLLAB_SOURCE"; else wheel_dir="$(dirname "$STUDIO_COLLAB_SOURCE")"; fi
      [ -e "$STUDIO_COLLAB_SOURCE" ] || fail "$STUDIO_COLLAB_SOURCE does not exist in this app (mount it, e.g. as an EFS custom file system)"
      ;;
  esac
  if [ -n "$wheel_dir" ]; then
    pip_args+=(--find-links "$wheel_dir")
    # No index URL = offline: the wheel's dependencies must already be in the image (SageMaker Distribution has them) or beside it.
    [ -n "$STUDIO_COLLAB_INDEX_URL" ] || pip_args+=(--no-index)
  fi
  [ -z "$STUDIO_COLLAB_INDEX_URL" ] || pip_args+=(--index-url "$STUDIO_COLLAB_INDEX_URL")
  log "installing studio-collab $STUDIO_COLLAB_VERSION (pip timeout ${PIP_TIMEOUT_SECONDS}s)"
  timeout "$PIP_TIMEOUT_SECONDS" "$PYTHON" -m pip "${pip_args[@]}" "studio_collab==$STUDIO_COLLAB_VERSION" \
    || fail "pip could not install studio_collab==$STUDIO_COLLAB_VERSION in ${PIP_TIMEOUT_SECONDS}s; without internet, serve the wheel and its dependencies from S3 (studio-collab lcc --wheel s3://bucket/wheelhouse/)"
}

changed=no
have="$(installed_version)"
if [ "$have" = "$STUDIO_COLLAB_VERSION" ]; then
  log "studio-collab $have is already installed"
else
  log "found studio-collab ${have:-nowhere}; want $STUDIO_COLLAB_VERSION"
  install_package
  have="$(installed_version)"
  [ "$have" = "$STUDIO_COLLAB_VERSION" ] || fail "pip finished but studio-collab ${have:-nothing} is installed, not $STUDIO_COLLAB_VERSION"
  changed=yes
fi

# The admin's options in the extension's own config file of the image's environment (Jupyter reads only
# extension switches from jupyter_server_config.d, so that directory would not do).
config_dir="$("$PYTHON" -c 'import sys; print(sys.prefix)')/etc/jupyter"
config_file="$config_dir/jupyter_studio_collab_config.json"
mkdir -p "$config_dir"
printf '%s\n' "$STUDIO_COLLAB_CONFIG" >"$WORK_DIR/config.json"
checksum="$(sha256sum "$WORK_DIR/config.json" | cut -c1-12)"
if cmp -s "$WORK_DIR/config.json" "$config_file"; then
  log "configuration $config_file is current (sha256 $checksum)"
else
  cp "$WORK_DIR/config.json" "$config_file.tmp.$$"
  mv -f "$config_file.tmp.$$" "$config_file"
  log "wrote configuration $config_file (sha256 $checksum)"
  changed=yes
fi

if [ "$changed" = no ]; then
  log "nothing changed; the Jupyter server keeps running"
  exit 0
fi
if command -v restart-jupyter-server >/dev/null 2>&1; then
  log "restarting the Jupyter server"
  timeout "$RESTART_TIMEOUT_SECONDS" restart-jupyter-server || fail "restart-jupyter-server failed; restart the space to load studio-collab"
else
  log "restart-jupyter-server is not on PATH: the Jupyter server loads studio-collab when it (re)starts"
fi
log "done: studio-collab $STUDIO_COLLAB_VERSION installed and configured"
