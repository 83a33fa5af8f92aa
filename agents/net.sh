# agents/net.sh
