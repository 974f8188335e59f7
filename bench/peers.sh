#!/usr/bin/env bash
# The IRC peers of the benchmark: InspIRCd and ngIRCd, from Debian's packages.
#
#   bench/peers.sh install                    apt-get update && apt-get install -y inspircd ngircd
#   bench/peers.sh config NAME PORT DIR       write NAME's config into DIR (loopback only, limits raised)
#   bench/peers.sh start NAME PORT DIR        config, then exec NAME in the foreground pinned to core 0
#   bench/peers.sh run [SCENARIO...]          the benchmark scenarios against both peers (bench/run.sh)
#
# bench/loadgen.py calls `start` itself (--target inspircd|ngircd) and stops the daemon when done,
# so a figure for a peer is measured exactly like Causerie's, in the same run. The configs listen
# on 127.0.0.1 only, and lift every per-client limit that a benchmark from one address trips over:
# connections per IP, clones, flood/penalty/fake-lag, sendq/recvq, channels per user, nick length,
# DNS and ident look-ups. Everything else is the daemons' defaults.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SERVER_CPU="${BENCH_SERVER_CPU:-0}"

need() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || {
        echo "peers.sh: $1 is not installed; run: bench/peers.sh install" >&2
        exit 3
    }
}

config_inspircd() {
    local port="$1" dir="$2"
    cat >"$dir/inspircd.conf" <<EOF
<server name="bench.inspircd.local" description="Causerie benchmark peer" network="Bench">
<admin name="Bench" nick="Bench" email="bench@localhost">
<bind address="127.0.0.1" port="$port" type="clients">
<power diepass="" restartpass="">
<connect name="bench" allow="127.0.0.1"
         maxchans="100"
         timeout="60"
         pingfreq="10m"
         hardsendq="64M"
         softsendq="64M"
         recvq="64M"
         threshold="1000000"
         commandrate="1000000000"
         fakelag="no"
         localmax="100000"
         globalmax="100000"
         maxconnwarn="no"
         resolvehostnames="no"
         useident="no"
         limit="100000">
<channels users="100" opers="100">
<limits maxnick="30" maxchan="60">
<performance softlimit="100000" somaxconn="4096" clonesonconnect="no" netbuffersize="65536" quietbursts="yes">
<security hideserver="" userstats="Pu" maxtargets="20">
<options syntaxhints="no" announcets="no" hostintopic="no" pingwarning="0">
<files motd="$dir/motd.txt">
<pid file="$dir/inspircd.pid">
<dns timeout="1">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="sparse" target="$dir/inspircd.log">
<whowas groupsize="1" maxgroups="1" maxkeep="1m">
EOF
    echo "Causerie benchmark peer." >"$dir/motd.txt"
}

config_ngircd() {
    local port="$1" dir="$2"
    cat >"$dir/ngircd.conf" <<EOF
[Global]
    Name = bench.ngircd.local
    Info = Causerie benchmark peer
    Listen = 127.0.0.1
    Ports = $port
    MotdPhrase = "Causerie benchmark peer."
    AdminInfo1 = Causerie benchmark
    AdminInfo2 = loopback only
    AdminEMail = bench@localhost
[Limits]
    MaxConnections = 0
    MaxConnectionsIP = 0
    MaxJoins = 0
    MaxNickLength = 30
    MaxPenaltyTime = 0
    MaxListSize = 100
    PingTimeout = 600
    PongTimeout = 600
[Options]
    DNS = no
    Ident = no
    PAM = no
    MorePrivacy = no
    RequireAuthPing = no
    SyslogFacility = local1
EOF
}

start() {
    local name="$1" port="$2" dir="$3"
    mkdir -p "$dir"
    case "$name" in
        inspircd)
            need inspircd
            config_inspircd "$port" "$dir"
            exec taskset -c "$SERVER_CPU" /usr/sbin/inspircd --nofork --runasroot --config="$dir/inspircd.conf"
            ;;
        ngircd)
            need ngircd
            config_ngircd "$port" "$dir"
            exec taskset -c "$SERVER_CPU" /usr/sbin/ngircd --nodaemon --config "$dir/ngircd.conf"
            ;;
        *) echo "peers.sh: unknown peer $name (inspircd|ngircd)" >&2; exit 2 ;;
    esac
}

case "${1:-}" in
    install)
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y inspircd ngircd
        # the packages start system-wide daemons on 6667 where a service manager runs; not wanted here
        (systemctl disable --now inspircd ngircd 2>/dev/null || true)
        ;;
    config)
        shift
        mkdir -p "$3"
        "config_$1" "$2" "$3"
        ;;
    start)
        shift
        start "$@"
        ;;
    run)
        shift
        need inspircd
        need ngircd
        scenarios=("$@")
        [ ${#scenarios[@]} -gt 0 ] || scenarios=(fanout-1x500 fanout-50x20 idle-10k)
        for scenario in "${scenarios[@]}"; do
            BENCH_TARGETS="inspircd ngircd" "$HERE/run.sh" "$scenario"
        done
        ;;
    *)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
