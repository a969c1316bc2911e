# Checks the layering of the library folders by their #include "..." lines (a unit test;
# run by hand with `cmake -DSOURCE_DIR=. -P tests/check_layers.cmake`). Each folder may include
# only the folders below it:
#
#   factors/                   factors/
#   engine/                    engine/, factors/, dgm/ (generated protobuf headers)
#   learning/                  learning/, inference/ (sessions, exact inference, model views),
#                              engine/, factors/, dgm/
#   learning/datasets/         learning/, engine/, factors/, dgm/: reading and preparing data
#                              needs no inference
#   inference/sampling/        itself, engine/, factors/, dgm/: what every sampler builds on
#   inference/model_views/     itself, engine/, factors/, dgm/: model views several backends read
#   inference/<backend>/       itself, sampling/, model_views/, engine/, factors/, dgm/ — never
#                              another backend, so backends stay independent (ais, exact,
#                              gibbs, gradient, pmp; pmp may also include bp/, which it is
#                              built on)
#   inference/metrics/         itself, sampling/, engine/: quality measures of any sampler's output
#                              (no backend, no model view)
#   inference/bp/              itself, model_views/, engine/, factors/, dgm/ (BP is no sampler)
#   inference/ (its own files) anything in inference/: the layer that lists the backends
#   inference/session/         anything in inference/: sessions run any backend by name
#   inference/comparison/      anything in inference/: comparisons run sessions and metrics
#
# A folder without a rule here is an error: give a new folder its place in the layers.
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<repository root> -P check_layers.cmake")
endif()
get_filename_component(SOURCE_DIR "${SOURCE_DIR}" ABSOLUTE)

set(lower engine/ factors/ dgm/)
set(rule_factors factors/)
set(rule_engine ${lower})
set(rule_learning learning/ inference/ ${lower})
set(rule_learning/datasets learning/ ${lower})
set(rule_inference inference/ ${lower})
set(rule_inference/sampling inference/sampling/ ${lower})
set(rule_inference/model_views inference/model_views/ ${lower})
foreach(backend ais exact gibbs gradient pmp)
  set(rule_inference/${backend} inference/${backend}/ inference/sampling/ inference/model_views/
                                ${lower})
endforeach()
list(APPEND rule_inference/pmp inference/bp/)
set(rule_inference/metrics inference/metrics/ inference/sampling/ engine/)
set(rule_inference/comparison inference/ ${lower})
set(rule_inference/bp inference/bp/ inference/model_views/ ${lower})
set(rule_inference/session inference/ ${lower})

file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/factors/*.h ${SOURCE_DIR}/factors/*.cc
     ${SOURCE_DIR}/engine/*.h ${SOURCE_DIR}/engine/*.cc
     ${SOURCE_DIR}/learning/*.h ${SOURCE_DIR}/learning/*.cc
     ${SOURCE_DIR}/inference/*.h ${SOURCE_DIR}/inference/*.cc)
if(NOT files)
  message(FATAL_ERROR "no sources found under ${SOURCE_DIR}")
endif()

set(violations "")
foreach(file IN LISTS files)
  get_filename_component(folder ${file} DIRECTORY)
  if(NOT DEFINED rule_${folder})
    string(APPEND violations "\n  ${file}: folder ${folder}/ has no layer rule in this file")
    continue()
  endif()
  file(STRINGS ${SOURCE_DIR}/${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*$" "\\1" header "${line}")
    set(allowed FALSE)
    foreach(prefix IN LISTS rule_${folder})
      string(FIND "${header}" "${prefix}" at)
      if(at EQUAL 0)
        set(allowed TRUE)
        break()
      endif()
    endforeach()
    if(NOT allowed)
      string(APPEND violations "\n  ${file} includes \"${header}\"")
    endif()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "layering violations (see tests/check_layers.cmake):${violations}")
endif()
list(LENGTH files count)
message(STATUS "layering: ${count} files checked")
