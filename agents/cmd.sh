# agents/cmd.sh
