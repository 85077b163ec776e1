#!/bin/bash

__caliby_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__caliby_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__caliby_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__caliby_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_caliby() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __caliby_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    init|create|list|info|insert|search|get|update|delete|alter|index|consolidate|resize|vacuum|reorder|drop|flush|check|recover|stats|backup|restore|upgrade|repl|exit-codes|help)
        # Offer subcommand argument completions
        "_caliby_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'init create list info insert search get update delete alter index consolidate resize vacuum reorder drop flush check recover stats backup restore upgrade repl exit-codes help' -- "${cur}"))
        ;;
    esac
}

_caliby_init() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac
}

_caliby_create() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--field --index-field)
    non_repeating_options=(--dir --buffer-size --wait --type --dim --max-elements --metric --precision --M --ef-construction --quantization --R --L --alpha --pq-bytes --analyzer --schema --document-space)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--type')
        __caliby_add_completions -W 'hnsw'$'\n''diskann'
        return
        ;;
    '--dim')
        return
        ;;
    '--max-elements')
        return
        ;;
    '--metric')
        __caliby_add_completions -W 'l2'$'\n''ip'$'\n''cosine'
        return
        ;;
    '--precision')
        __caliby_add_completions -W 'float32'$'\n''float16'
        return
        ;;
    '--M')
        return
        ;;
    '--ef-construction')
        return
        ;;
    '--quantization')
        __caliby_add_completions -W 'none'$'\n''int8'
        return
        ;;
    '--R')
        return
        ;;
    '--L')
        return
        ;;
    '--alpha')
        return
        ;;
    '--pq-bytes')
        return
        ;;
    '--field')
        return
        ;;
    '--analyzer')
        __caliby_add_completions -W 'standard'$'\n''english'$'\n''whitespace'
        return
        ;;
    '--schema')
        __caliby_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    '--index-field')
        return
        ;;
    '--document-space')
        return
        ;;
    esac
}

_caliby_list() {
    repeating_flags=()
    non_repeating_flags=(--names-only --version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --format)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--format')
        __caliby_add_completions -W 'table'$'\n''tsv'$'\n''csv'$'\n''json'$'\n''jsonl'
        return
        ;;
    esac
}

_caliby_info() {
    repeating_flags=()
    non_repeating_flags=(--system --version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --format)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--format')
        __caliby_add_completions -W 'table'$'\n''tsv'$'\n''csv'$'\n''json'$'\n''jsonl'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion info -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_insert() {
    repeating_flags=()
    non_repeating_flags=(--ignore-unknown --replace --quiet -q --stats --version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --input-format --header --vector-columns --id-column --labels-column --ids --labels --threads --commit-every --stats-format)
    __caliby_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--input-format')
        __caliby_add_completions -W 'fvecs'$'\n''bvecs'$'\n''csv'$'\n''tsv'$'\n''jsonl'
        return
        ;;
    '--header')
        __caliby_add_completions -W 'auto'$'\n''yes'$'\n''no'
        return
        ;;
    '--vector-columns')
        return
        ;;
    '--id-column')
        return
        ;;
    '--labels-column')
        return
        ;;
    '--ids')
        __caliby_add_completions -f
        return
        ;;
    '--labels')
        __caliby_add_completions -f
        return
        ;;
    '--threads')
        return
        ;;
    '--commit-every')
        return
        ;;
    '--stats-format')
        __caliby_add_completions -W 'text'$'\n''json'$'\n''prometheus'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion insert -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __caliby_add_completions -o plusdirs -fX '!*.@(fvecs|bvecs|csv|tsv|jsonl|json|ndjson)'
        return
        ;;
    esac
}

_caliby_search() {
    repeating_flags=()
    non_repeating_flags=(--ignore-unknown --warmup --stats --version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --vector --file --input-format --header --vector-columns -k --ef --L --beam-width --text --text-file --hybrid --filter --where --fields --distances --threads --format --groundtruth --stats-format)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--vector')
        return
        ;;
    '--file')
        __caliby_add_completions -o plusdirs -fX '!*.@(fvecs|bvecs|csv|tsv|jsonl|json|ndjson)'
        return
        ;;
    '--input-format')
        __caliby_add_completions -W 'fvecs'$'\n''bvecs'$'\n''csv'$'\n''tsv'$'\n''jsonl'
        return
        ;;
    '--header')
        __caliby_add_completions -W 'auto'$'\n''yes'$'\n''no'
        return
        ;;
    '--vector-columns')
        return
        ;;
    '-k')
        return
        ;;
    '--ef')
        return
        ;;
    '--L')
        return
        ;;
    '--beam-width')
        return
        ;;
    '--text')
        return
        ;;
    '--text-file')
        __caliby_add_completions -f
        return
        ;;
    '--hybrid')
        return
        ;;
    '--filter')
        return
        ;;
    '--where')
        return
        ;;
    '--fields')
        return
        ;;
    '--distances')
        __caliby_add_completions -W 'pq'$'\n''exact'$'\n''auto'
        return
        ;;
    '--threads')
        return
        ;;
    '--format')
        __caliby_add_completions -W 'table'$'\n''tsv'$'\n''csv'$'\n''json'$'\n''jsonl'
        return
        ;;
    '--groundtruth')
        __caliby_add_completions -o plusdirs -fX '!*.@(ivecs)'
        return
        ;;
    '--stats-format')
        __caliby_add_completions -W 'text'$'\n''json'$'\n''prometheus'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion search -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_get() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --ids --ids-file --where --fields --limit --format)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--ids'|'--ids-file')
        __caliby_add_completions -f
        return
        ;;
    '--where')
        return
        ;;
    '--fields')
        return
        ;;
    '--limit')
        return
        ;;
    '--format')
        __caliby_add_completions -W 'table'$'\n''tsv'$'\n''csv'$'\n''json'$'\n''jsonl'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion get -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_update() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--set --unset)
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--set')
        return
        ;;
    '--unset')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion update -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_delete() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --ids-file)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--ids-file')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion delete -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_alter() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--add-field)
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--add-field')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion alter -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_index() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion index -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_consolidate() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --threads)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--threads')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion consolidate -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_resize() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --max-elements)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--max-elements')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion resize -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_vacuum() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --threads)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--threads')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion vacuum -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_reorder() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion reorder -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_drop() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion drop -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_flush() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac
}

_caliby_check() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion check -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_recover() {
    repeating_flags=()
    non_repeating_flags=(--discard-journal --version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac
}

_caliby_stats() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --format)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--format')
        __caliby_add_completions -W 'table'$'\n''tsv'$'\n''csv'$'\n''json'$'\n''jsonl'$'\n''prometheus'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion stats -- positional@0 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_backup() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --to)
    __caliby_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--to')
        __caliby_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -d
        return
        ;;
    *)
        __caliby_add_completions -W "$(__caliby_custom_complete ---completion backup -- positional@1 "${COMP_CWORD}" "$(__caliby_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_caliby_restore() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait --into)
    __caliby_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    '--into')
        __caliby_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __caliby_add_completions -d
        return
        ;;
    esac
}

_caliby_upgrade() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac
}

_caliby_repl() {
    repeating_flags=()
    non_repeating_flags=(--read-only --bail --version -h --help)
    repeating_options=()
    non_repeating_options=(--dir --buffer-size --wait)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--dir')
        __caliby_add_completions -d
        return
        ;;
    '--buffer-size')
        return
        ;;
    '--wait')
        return
        ;;
    esac
}

_caliby_exit-codes() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--format)
    __caliby_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--format')
        __caliby_add_completions -W 'table'$'\n''tsv'$'\n''csv'$'\n''json'$'\n''jsonl'
        return
        ;;
    esac
}

_caliby_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __caliby_offer_flags_options -1
}

complete -o filenames -F _caliby caliby
