# Sourced (not run) by the scripts that time pipewatch against `awsim serve`: the profiles' source credentials,
# the release build of both binaries, and a free loopback port.

# The profiles' source credentials: any key (awsim checks no signature); nothing from the user's AWS setup.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true

cargo build --release --locked --quiet -p pipewatch -p awsim
BIN=$PWD/target/release/pipewatch
AWSIM=$PWD/target/release/awsim

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
