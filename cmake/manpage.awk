# cmake/manpage.awk: a docs/*.md page made ready for lowdown's man output: its title
# line (the first "# " heading) is dropped and every other heading is raised one level,
# so the page's "## " sections become the manual page's sections; with -v name="...",
# a NAME section comes first. A table becomes a definition list (its first column the
# term, the others "header: cell"), which a terminal of any width can fill: a table's
# columns cannot wrap long words. Lines inside ``` fences are left as they are.
function cells(line, out,    n, i) {
    gsub(/\\\|/, "\001", line)
    sub(/^ *\|/, "", line)
    sub(/\| *$/, "", line)
    n = split(line, out, "|")
    for (i = 1; i <= n; i++) {
        gsub(/\001/, "|", out[i])
        gsub(/^ +| +$/, "", out[i])
    }
    return n
}
BEGIN {
    if (name != "")
        printf "# NAME\n\n%s\n\n", name
}
/^```/ { fence = !fence; print; next }
fence { print; next }
!titled && /^# / { titled = 1; next }
/^##+ / { sub(/^#/, ""); print; next }
# a table: its header, then the |---| line
/^ *\|/ && !intable {
    if ((getline sep) > 0 && sep ~ /^ *\|[-:| ]+\| *$/) {
        nh = cells($0, head)
        intable = 1
        next
    }
    print
    print sep
    next
}
intable && /^ *\|/ {
    n = cells($0, c)
    term = c[1] == "" ? "-" : c[1]
    text = ""
    for (i = 2; i <= n; i++) {
        if (c[i] == "")
            continue
        label = (nh > 2 && head[i] != "") ? head[i] ": " : ""
        text = text (text == "" ? "" : "; ") label c[i]
    }
    printf "%s\n: %s\n\n", term, text == "" ? "-" : text
    next
}
intable { intable = 0 }
{ print }
