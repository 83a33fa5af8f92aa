# agents/proc.sh
