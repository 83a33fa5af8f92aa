# agents/lib.sh
