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

# Copies the wheel (s3://bucket/key.whl) to $1.
s3_copy() {
  local dest="$1"
  if command -v aws >/dev/null 2>&1; then
    timeout "$COPY_TIMEOUT_SECONDS" aws s3 cp --only-show-errors "$STUDIO_COLLAB_WHEEL" "$dest"
  else
    # Images without the AWS CLI still have boto3 next to Jupyter.
    timeout "$COPY_TIMEOUT_SECONDS" "$PYTHON" - "$STUDIO_COLLAB_WHEEL" "$dest" <<'PY'
import sys
import boto3
uri, dest = sys.argv[1], sys.argv[2]
bucket, _, key = uri[len("s3://"):].partition("/")
boto3.client("s3").download_file(bucket, key, dest)
PY
  fi
}

# A CodeArtifact mirror's token, fetched now (it lives 12 hours at most), so none is ever written into the script.
codeartifact_token() {
  if command -v aws >/dev/null 2>&1; then
    timeout "$COPY_TIMEOUT_SECONDS" aws codeartifact get-authorization-token --domain "$CODEARTIFACT_DOMAIN" \
      --domain-owner "$CODEARTIFACT_OWNER" --region "$CODEARTIFACT_REGION" --query authorizationToken --output text
  else
    timeout "$COPY_TIMEOUT_SECONDS" "$PYTHON" - "$CODEARTIFACT_DOMAIN" "$CODEARTIFACT_OWNER" "$CODEARTIFACT_REGION" <<'PY'
import sys
import boto3
domain, owner, region = sys.argv[1:4]
client = boto3.client("codeartifact", region_name=region)
print(client.get_authorization_token(domain=domain, domainOwner=owner)["authorizationToken"])
PY
  fi
}

install_package() {
  local pip_args=(install --disable-pip-version-check --no-input --quiet)
  local target="studio_collab==$STUDIO_COLLAB_VERSION"
  local index_url="$STUDIO_COLLAB_INDEX_URL"
  if [ -n "$STUDIO_COLLAB_WHEEL" ]; then
    target="$WORK_DIR/$(basename "$STUDIO_COLLAB_WHEEL")"
    log "copying $STUDIO_COLLAB_WHEEL"
    s3_copy "$target" || fail "could not copy $STUDIO_COLLAB_WHEEL: check the execution role may s3:GetObject it and, in a VPC-only domain, that an S3 gateway endpoint exists"
    local actual
    actual="$(sha256sum "$target" | cut -d' ' -f1)"
    [ "$actual" = "$STUDIO_COLLAB_WHEEL_SHA256" ] \
      || fail "refusing to install $STUDIO_COLLAB_WHEEL: its sha256 is $actual, this LCC was made for $STUDIO_COLLAB_WHEEL_SHA256 (make a new LCC for a new wheel)"
    log "sha256 of the wheel checked"
    # Without a mirror the install is offline: the wheel's dependencies must already be in the image (SageMaker Distribution has them).
    [ -n "$index_url" ] || pip_args+=(--no-index)
  fi
  if [ -n "$CODEARTIFACT_DOMAIN" ]; then
    local token
    token="$(codeartifact_token)" && [ -n "$token" ] \
      || fail "could not get a CodeArtifact token for $CODEARTIFACT_DOMAIN: grant the execution role codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken"
    log "CodeArtifact token fetched for $CODEARTIFACT_DOMAIN"
    index_url="https://aws:${token}@${index_url#https://}"
  fi
  log "installing studio-collab $STUDIO_COLLAB_VERSION (pip timeout ${PIP_TIMEOUT_SECONDS}s)"
  # The index URL travels in pip's environment, not its argv: a token there would show in every process list.
  local pip_env=()
  [ -z "$index_url" ] || pip_env=("PIP_INDEX_URL=$index_url")
  env "${pip_env[@]}" timeout "$PIP_TIMEOUT_SECONDS" "$PYTHON" -m pip "${pip_args[@]}" "$target" \
    || fail "pip could not install studio-collab $STUDIO_COLLAB_VERSION in ${PIP_TIMEOUT_SECONDS}s"
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
