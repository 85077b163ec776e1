function __caliby_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __caliby_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __caliby_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __caliby_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __caliby_parse_tokens -S
    set -l unparsed_tokens (__caliby_tokens -pc)
    switch $unparsed_tokens[1]
    case 'caliby'
        __caliby_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'init'
            __caliby_parse_subcommand 0 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'create'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'type=' 'dim=' 'max-elements=' 'metric=' 'precision=' 'M=' 'ef-construction=' 'quantization=' 'R=' 'L=' 'alpha=' 'pq-bytes=' 'field=+' 'analyzer=' 'schema=' 'index-field=+' 'document-space=' 'version' 'h/help'
        case 'list'
            __caliby_parse_subcommand 0 'dir=' 'buffer-size=' 'wait=' 'format=' 'names-only' 'version' 'h/help'
        case 'info'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'system' 'format=' 'version' 'h/help'
        case 'insert'
            __caliby_parse_subcommand 2 'dir=' 'buffer-size=' 'wait=' 'input-format=' 'header=' 'ignore-unknown' 'vector-columns=' 'id-column=' 'labels-column=' 'ids=' 'labels=' 'replace' 'threads=' 'commit-every=' 'q/quiet' 'stats' 'stats-format=' 'version' 'h/help'
        case 'search'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'vector=' 'file=' 'input-format=' 'header=' 'ignore-unknown' 'vector-columns=' 'k=' 'ef=' 'L=' 'beam-width=' 'text=' 'text-file=' 'hybrid=' 'filter=' 'where=' 'fields=' 'distances=' 'threads=' 'format=' 'groundtruth=' 'warmup' 'stats' 'stats-format=' 'version' 'h/help'
        case 'get'
            __caliby_parse_subcommand -r 2 'dir=' 'buffer-size=' 'wait=' 'ids=' 'where=' 'fields=' 'limit=' 'format=' 'version' 'h/help'
        case 'update'
            __caliby_parse_subcommand -r 2 'dir=' 'buffer-size=' 'wait=' 'set=+' 'unset=+' 'version' 'h/help'
        case 'delete'
            __caliby_parse_subcommand -r 2 'dir=' 'buffer-size=' 'wait=' 'ids-file=' 'version' 'h/help'
        case 'alter'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'add-field=+' 'version' 'h/help'
        case 'index'
            __caliby_parse_subcommand -r 2 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'consolidate'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'threads=' 'version' 'h/help'
        case 'resize'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'max-elements=' 'version' 'h/help'
        case 'vacuum'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'threads=' 'version' 'h/help'
        case 'reorder'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'drop'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'flush'
            __caliby_parse_subcommand 0 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'check'
            __caliby_parse_subcommand -r 1 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'recover'
            __caliby_parse_subcommand 0 'dir=' 'buffer-size=' 'wait=' 'discard-journal' 'version' 'h/help'
        case 'stats'
            __caliby_parse_subcommand -r 1 'dir=' 'buffer-size=' 'wait=' 'format=' 'version' 'h/help'
        case 'backup'
            __caliby_parse_subcommand -r 2 'dir=' 'buffer-size=' 'wait=' 'to=' 'version' 'h/help'
        case 'restore'
            __caliby_parse_subcommand 1 'dir=' 'buffer-size=' 'wait=' 'into=' 'version' 'h/help'
        case 'upgrade'
            __caliby_parse_subcommand 0 'dir=' 'buffer-size=' 'wait=' 'version' 'h/help'
        case 'repl'
            __caliby_parse_subcommand 0 'dir=' 'buffer-size=' 'wait=' 'read-only' 'bail' 'version' 'h/help'
        case 'exit-codes'
            __caliby_parse_subcommand 0 'format=' 'version' 'h/help'
        case 'help'
            __caliby_parse_subcommand -r 1 'version'
        end
    end
end

function __caliby_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __caliby_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __caliby_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __caliby_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__caliby_tokens -p)
    if test -z "$(__caliby_tokens -t)"
        set -l index (count (__caliby_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'caliby' -f
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'init' -d 'Create a data directory (lock file and empty catalog); harmless on an existing one.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'create' -d 'Create a named index with fixed dimensions and capacity, and the fields of its documents.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'list' -d 'List the indexes: name, type, dimensions, metric, vectors, capacity, size on disk, creation time.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'info' -d 'Show one index\'s parameters and counts, or (--system) the kernels and buffer size in use.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'insert' -d 'Add vectors from .fvecs, .bvecs, CSV/TSV or JSON lines (a file or standard input).'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'search' -d 'Find the k nearest vectors to each query, the best matches of a full-text query, or both fused.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'get' -d 'Print stored documents by id, or those matching --where.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'update' -d 'Change fields of stored documents without touching their vectors.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'delete' -d 'Delete vectors with their documents: they never appear in results again.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'alter' -d 'Add fields to an index\'s documents.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'index' -d 'Build secondary indexes on fields, so filters on them read only what matches.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'consolidate' -d 'Take deleted vectors out of a DiskANN graph and free their slots for new vectors.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'resize' -d 'Grow an index\'s capacity (--max-elements) without rebuilding it.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'vacuum' -d 'Rebuild indexes compactly after many deletes, so their files shrink.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'reorder' -d 'Renumber an index\'s vectors in graph order, so that searches read less.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'drop' -d 'Remove an index and its file.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'flush' -d 'Commit every pending change (in the REPL); succeeds when nothing is pending.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'check' -d 'Verify every page checksum and the graph structure of indexes (all by default).'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'recover' -d 'Finish recovery after a crash, or set aside a journal that recovery refuses.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'stats' -d 'Show how each index\'s slots are used and where its bytes go.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'backup' -d 'Copy the data directory, or some of its indexes, while searches go on.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'restore' -d 'Replace a data directory with a backup, after verifying all of it.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'upgrade' -d 'Rewrite files of an older format in the current one; report every file\'s format.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'repl' -d 'Run commands on one open data directory, typed at a prompt or read from a script.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'exit-codes' -d 'List the exit statuses of caliby commands and what each means.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby init" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby init" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby init" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby init" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby init" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" type' -l 'type' -d 'Index type.' -rfka 'hnsw diskann'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" dim' -l 'dim' -d 'Vector dimensions, 1 to 65536.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" max-elements' -l 'max-elements' -d 'Capacity: the most vectors the index will ever hold, 1 to 2147483648.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" metric' -l 'metric' -d 'Distance: l2 (squared Euclidean), ip (1 - inner product), cosine (1 - cosine).' -rfka 'l2 ip cosine'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" precision' -l 'precision' -d 'How vectors are stored: float32 (as given) or float16 (half the size; refuses magnitudes above 65504). HNSW only.' -rfka 'float32 float16'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" M' -l 'M' -d 'HNSW: links per node; level 0 keeps 2*M (default: 16).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" ef-construction' -l 'ef-construction' -d 'HNSW: candidate list size while building (default: 200).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" quantization' -l 'quantization' -d 'HNSW: int8 keeps one byte per dimension beside each vector, which searches and inserts walk the graph by before ranking by the vectors (faster searches and builds, same recall); none keeps only the vectors (default: int8).' -rfka 'none int8'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" R' -l 'R' -d 'DiskANN: maximum out-degree (default: 64).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" L' -l 'L' -d 'DiskANN: candidate list size while building (default: 100).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" alpha' -l 'alpha' -d 'DiskANN: pruning slack, at least 1 (default: 1.2).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" pq-bytes' -l 'pq-bytes' -d 'DiskANN: bytes of each vector\'s PQ code, which steers searches that do not fit in memory and every insert once trained (0: no codes, every distance exact; default: one per four dimensions).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create"' -l 'field' -d 'A document field, name:type (repeat for more); name:type! is required.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" analyzer' -l 'analyzer' -d 'How text fields become search terms: standard (Unicode words, case and diacritics folded), english (standard, then Porter stemming), whitespace (split on spaces only, nothing folded). Default: standard. No stop words are dropped.' -rfka 'standard english whitespace'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" schema' -l 'schema' -d 'A JSON file of fields: {"fields": [{"name": "title", "type": "text"}, ...]}.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create"' -l 'index-field' -d 'Keep a secondary index on this field (repeat for more); filters on it read only what matches.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" document-space' -l 'document-space' -d 'Space reserved for documents and field indexes: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: 4K per --max-elements, at least 64M).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby create" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" format' -l 'format' -d 'Output format (default: table on a terminal, tsv otherwise).' -rfka 'table tsv csv json jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" names-only' -l 'names-only' -d 'Print only the names, one per line (for scripts and completion).'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby info" -eq 1' -fka '(__caliby_custom_completion ---completion info -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" system' -l 'system' -d 'Show this process\'s distance kernels (chosen from the CPU, or by $CALIBY_KERNELS), the kernel sets the CPU supports, and the buffer size, instead of an index.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" format' -l 'format' -d 'Output format (default: table on a terminal, tsv otherwise); json and jsonl print one object.' -rfka 'table tsv csv json jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby info" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby insert" -eq 1' -fka '(__caliby_custom_completion ---completion insert -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby insert" -eq 2' -fa '(set -l exts \'fvecs\' \'bvecs\' \'csv\' \'tsv\' \'jsonl\' \'json\' \'ndjson\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" input-format' -l 'input-format' -d 'Input format: fvecs, bvecs, csv, tsv or jsonl (default: from the file\'s extension; csv on standard input).' -rfka 'fvecs bvecs csv tsv jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" header' -l 'header' -d 'CSV/TSV: is the first line a header? yes skips it, no reads it as a record, auto decides.' -rfka 'auto yes no'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" ignore-unknown' -l 'ignore-unknown' -d 'Skip JSON keys and CSV/TSV columns that name no field of the index (default: an error).'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" vector-columns' -l 'vector-columns' -d 'CSV/TSV: the columns holding the vector\'s components, e.g. 4-387 (1-based, inclusive).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" id-column' -l 'id-column' -d 'CSV/TSV: 1-based column holding each row\'s id.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" labels-column' -l 'labels-column' -d 'CSV/TSV: 1-based column holding labels (numbers separated by \';\' or \'|\').' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" ids' -l 'ids' -d 'A file of ids, one per line, for the records in order.' -rF
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" labels' -l 'labels' -d 'A file of labels, one line per record in order: numbers separated by \';\' or \'|\' (a blank line: none).' -rF
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" replace' -l 'replace' -d 'Update the vector of an id that exists instead of failing.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" threads' -l 'threads' -d 'Build threads (default: all cores).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" commit-every' -l 'commit-every' -d 'Commit after every N records (for very long loads).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" q quiet' -l 'quiet' -s 'q' -d 'No progress bar and no summary line.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" stats' -l 'stats' -d 'Report on standard error what the command cost: pages read and hit in the buffer pool, bytes read and written, evictions, distances computed, the time of each phase, and the peak resident memory against the buffer size.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" stats-format' -l 'stats-format' -d 'How --stats reports (implies --stats): text lines, one JSON object, or Prometheus\' text format.' -rfka 'text json prometheus'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby insert" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby search" -eq 1' -fka '(__caliby_custom_completion ---completion search -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" vector' -l 'vector' -d 'One query: values separated by commas or spaces.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" file' -l 'file' -d 'A file of queries (.fvecs, .bvecs, .csv, .tsv, .jsonl); - for standard input.' -rfa '(set -l exts \'fvecs\' \'bvecs\' \'csv\' \'tsv\' \'jsonl\' \'json\' \'ndjson\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" input-format' -l 'input-format' -d 'Input format: fvecs, bvecs, csv, tsv or jsonl (default: from the file\'s extension; csv on standard input).' -rfka 'fvecs bvecs csv tsv jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" header' -l 'header' -d 'CSV/TSV: is the first line a header? yes skips it, no reads it as a record, auto decides.' -rfka 'auto yes no'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" ignore-unknown' -l 'ignore-unknown' -d 'Skip JSON keys and CSV/TSV columns that name no field of the index (default: an error).'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" vector-columns' -l 'vector-columns' -d 'CSV/TSV: the columns holding the vector\'s components, e.g. 4-387 (1-based, inclusive).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" k' -s 'k' -d 'Neighbours per query.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" ef' -l 'ef' -d 'HNSW: candidate list size (default: 64; raised to k when smaller).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" L' -l 'L' -d 'DiskANN: candidate list size (default: 100; raised to k when smaller).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" beam-width' -l 'beam-width' -d 'DiskANN: closest candidates expanded together in each step of the search (default: 4).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" text' -l 'text' -d 'A full-text query: words (any may match), "a phrase", +required, -excluded.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" text-file' -l 'text-file' -d 'A file of full-text queries, one per line (blank lines skipped); - for standard input.' -rF
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" hybrid' -l 'hybrid' -d 'How --text and a vector query are fused: rrf (reciprocal rank fusion, k = 60; the default) or a vector weight from 0 to 1 (0.7: 0.7 vector + 0.3 text, each min-max normalized).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" filter' -l 'filter' -d 'Only vectors carrying this label (0 to 4294967295); the same as --where "labels CONTAINS n".' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" where' -l 'where' -d 'Only documents matching this filter, e.g. "category = \'audio\' AND price < 20" (caliby(1), FILTERS).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" fields' -l 'fields' -d 'Fields to print with each result, comma-separated; \'*\' for all.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" distances' -l 'distances' -d 'DiskANN: what ranks the candidates: pq (compressed codes; reads the vectors only of the points it expands, needs a longer --L), exact (reads every vector it meets), auto (pq when the index is larger than --buffer-size, else exact; the default).' -rfka 'pq exact auto'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" threads' -l 'threads' -d 'Search threads for a batch of queries.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" format' -l 'format' -d 'Output format (default: table on a terminal, tsv otherwise).' -rfka 'table tsv csv json jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" groundtruth' -l 'groundtruth' -d 'A .ivecs file of true neighbours: print recall@k and QPS instead of the hits.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ivecs\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" warmup' -l 'warmup' -d 'Load the index into memory, then run the queries once, untimed, before the timed run (steady-state QPS).'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" stats' -l 'stats' -d 'Report on standard error what the command cost: pages read and hit in the buffer pool, bytes read and written, evictions, distances computed, the time of each phase, and the peak resident memory against the buffer size.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" stats-format' -l 'stats-format' -d 'How --stats reports (implies --stats): text lines, one JSON object, or Prometheus\' text format.' -rfka 'text json prometheus'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby search" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby get" -eq 1' -fka '(__caliby_custom_completion ---completion get -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" ids ids-file' -l 'ids' -l 'ids-file' -d 'A file of ids, one per line.' -rF
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" where' -l 'where' -d 'Only documents matching this filter, e.g. "category = \'audio\' AND price < 20" (caliby(1), FILTERS).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" fields' -l 'fields' -d 'Fields to print with each result, comma-separated; \'*\' for all.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" limit' -l 'limit' -d 'At most this many documents.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" format' -l 'format' -d 'Output format (default: table on a terminal, tsv otherwise).' -rfka 'table tsv csv json jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby get" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby update" -eq 1' -fka '(__caliby_custom_completion ---completion update -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update"' -l 'set' -d 'field=value (repeat for more).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update"' -l 'unset' -d 'A field whose value to remove (repeat for more).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby update" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby delete" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby delete" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby delete" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby delete" -eq 1' -fka '(__caliby_custom_completion ---completion delete -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby delete" ids-file' -l 'ids-file' -d 'A file of ids, one per line.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby delete" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby alter" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby alter" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby alter" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby alter" -eq 1' -fka '(__caliby_custom_completion ---completion alter -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby alter"' -l 'add-field' -d 'A field to add, name:type (repeat for more).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby alter" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby alter" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby index" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby index" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby index" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby index" -eq 1' -fka '(__caliby_custom_completion ---completion index -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby index" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby index" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby consolidate" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby consolidate" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby consolidate" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby consolidate" -eq 1' -fka '(__caliby_custom_completion ---completion consolidate -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby consolidate" threads' -l 'threads' -d 'Threads (default: all cores).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby consolidate" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby consolidate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby resize" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby resize" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby resize" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby resize" -eq 1' -fka '(__caliby_custom_completion ---completion resize -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby resize" max-elements' -l 'max-elements' -d 'The new capacity: more than the current one.' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby resize" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby resize" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby vacuum" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby vacuum" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby vacuum" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby vacuum" -eq 1' -fka '(__caliby_custom_completion ---completion vacuum -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby vacuum" threads' -l 'threads' -d 'Threads (default: all cores).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby vacuum" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby vacuum" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby reorder" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby reorder" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby reorder" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby reorder" -eq 1' -fka '(__caliby_custom_completion ---completion reorder -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby reorder" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby reorder" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby drop" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby drop" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby drop" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby drop" -eq 1' -fka '(__caliby_custom_completion ---completion drop -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby drop" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby drop" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby flush" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby flush" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby flush" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby flush" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby flush" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby check" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby check" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby check" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby check" -ge 1' -fka '(__caliby_custom_completion ---completion check -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby check" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby recover" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby recover" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby recover" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby recover" discard-journal' -l 'discard-journal' -d 'Set the hot journal aside (as caliby.journal.discarded) instead of applying it.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby recover" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby recover" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby stats" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby stats" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby stats" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby stats" -ge 1' -fka '(__caliby_custom_completion ---completion stats -- positional@0 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby stats" format' -l 'format' -d 'Output format (default: table on a terminal, tsv otherwise); prometheus is the text exposition format.' -rfka 'table tsv csv json jsonl prometheus'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby stats" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby stats" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby backup" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby backup" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby backup" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby backup" to' -l 'to' -d 'Where the backup goes, instead of DEST: a new directory, or - for a tar archive on stdout.' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby backup" -eq 1' -fa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby backup" -ge 2' -fka '(__caliby_custom_completion ---completion backup -- positional@1 (count (__caliby_tokens -pc)) (__caliby_tokens -tC))'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby backup" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby backup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby restore" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby restore" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby restore" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_positional "caliby restore" -eq 1' -fa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby restore" into' -l 'into' -d 'The data directory to replace or create (default: the data directory, see --dir).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby restore" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby restore" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby upgrade" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby upgrade" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby upgrade" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby upgrade" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby upgrade" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" dir' -l 'dir' -d 'Data directory (default: $CALIBY_DIR, else $XDG_DATA_HOME/caliby (~/.local/share/caliby)).' -rfa '(__caliby_complete_directories)'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" buffer-size' -l 'buffer-size' -d 'Memory for cached pages and the open indexes\' bookkeeping: a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB mean K), e.g. 512M, 2G, 0.3G, 1048576 (default: $CALIBY_BUFFER_SIZE, else 2G).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" wait' -l 'wait' -d 'Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).' -rfka ''
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" read-only' -l 'read-only' -d 'Share the directory with other readers; commands that modify it are refused.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" bail' -l 'bail' -d 'End the session at the first error, with that error\'s exit status.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby repl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby exit-codes" format' -l 'format' -d 'Output format (default: table on a terminal, tsv otherwise).' -rfka 'table tsv csv json jsonl'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby exit-codes" version' -l 'version' -d 'Show the version.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby exit-codes" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'caliby' -n '__caliby_should_offer_completions_for_flags_or_options "caliby help" version' -l 'version' -d 'Show the version.'
